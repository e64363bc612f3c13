/**
 * The pings a peer has out to its successors, and how many in a row each successor has left
 * unanswered. Pure bookkeeping: the peer decides what a lost ping means.
 */
import type { Tick } from '../machine.ts';

interface Watched {
  /** The ping awaiting an answer, if any. */
  sequence: number | undefined;
  sentTick: Tick;
  lost: number;
  /** When it last answered (-Infinity: not since it was first pinged). */
  answeredTick: Tick;
}

export class PingWatch {
  readonly #watched = new Map<number, Watched>();

  /**
   * A ping went to `peer`; an unanswered earlier one counts as lost, unless `forgiving` (a peer
   * just started: its successors may not be up yet). Returns the lost count.
   */
  sent(peer: number, sequence: number, now: Tick, forgiving = false): number {
    const watched = this.#watched.get(peer);
    if (watched === undefined) {
      this.#watched.set(peer, { sequence, sentTick: now, lost: 0, answeredTick: -Infinity });
      return 0;
    }
    if (watched.sequence !== undefined && !forgiving) watched.lost++;
    watched.sequence = sequence;
    watched.sentTick = now;
    return watched.lost;
  }

  /** An answer from `peer` to ping `sequence`: its count of lost pings starts again. */
  answered(peer: number, sequence: number, now: Tick): boolean {
    const watched = this.#watched.get(peer);
    if (watched === undefined || watched.sequence !== sequence) return false;
    watched.sequence = undefined;
    watched.lost = 0;
    watched.answeredTick = now;
    return true;
  }

  /** Whether `peer` answered a ping at `tick` or later. */
  answeredSince(peer: number, tick: Tick): boolean {
    return (this.#watched.get(peer)?.answeredTick ?? -Infinity) >= tick;
  }

  /** Successors whose ping has been unanswered for `timeoutTicks`: each counts one more lost ping. */
  expire(now: Tick, timeoutTicks: number): { peer: number; lost: number }[] {
    const expired: { peer: number; lost: number }[] = [];
    for (const [peer, watched] of this.#watched) {
      if (watched.sequence === undefined || now - watched.sentTick < timeoutTicks) continue;
      watched.sequence = undefined;
      watched.lost++;
      expired.push({ peer, lost: watched.lost });
    }
    return expired;
  }

  /** Stops watching everyone but `peers` (the current successors). */
  retain(peers: readonly number[]): void {
    for (const peer of this.#watched.keys()) if (!peers.includes(peer)) this.#watched.delete(peer);
  }

  /** Whether a ping to `peer` awaits an answer. */
  outstanding(peer: number): boolean {
    return this.#watched.get(peer)?.sequence !== undefined;
  }

  lost(peer: number): number {
    return this.#watched.get(peer)?.lost ?? 0;
  }
}
