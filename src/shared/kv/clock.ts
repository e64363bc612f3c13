/**
 * The hybrid logical clock behind every version a peer stamps: (tick, counter, peer). A stamp is
 * never below one the peer has seen (and believed), so a write stamped after seeing another's
 * version orders after it. Seeing is not enough across coordinators that have not met: the
 * coordinator also moves past versions replicas refuse it with (`coordinator.ts`).
 */
import type { PeerId, Tick } from '../machine.ts';
import type { Version } from '../protocol/kv.ts';

export class VersionClock {
  readonly #peer: PeerId;
  #tick = 0;
  #counter = 0;

  constructor(peer: PeerId) {
    this.#peer = peer;
  }

  /** A version above every one stamped or observed here. */
  next(now: Tick): Version {
    if (now > this.#tick) {
      this.#tick = now;
      this.#counter = 0;
    } else {
      this.#counter++;
    }
    return { tick: this.#tick, counter: this.#counter, peer: this.#peer };
  }

  /** Never stamp a version at or below `version` from now on. */
  observe(version: Version): void {
    if (version.tick > this.#tick || (version.tick === this.#tick && version.counter > this.#counter)) {
      this.#tick = version.tick;
      this.#counter = version.counter;
    }
  }
}
