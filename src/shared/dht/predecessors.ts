/**
 * The predecessors a peer has learned from the pings it receives: a first-rank ping comes from a
 * peer whose first successor this one is, a second-rank ping from one whose second it is. A ping
 * counts for `timeoutTicks`; departures and deaths are forgotten at once. At most
 * `PINGERS_MAX` pingers are kept (the oldest goes), since in a consistent ring there are two.
 */
import type { Tick } from '../machine.ts';
import { clockwiseDistance } from './circle.ts';

const PINGERS_MAX = 8;

export type Rank = 1 | 2;

export class Predecessors {
  readonly #self: number;
  readonly #timeoutTicks: number;
  /** Pinger → its rank and the tick of its last ping, oldest first. */
  readonly #heard = new Map<number, { rank: Rank; tick: Tick }>();

  constructor(self: number, timeoutTicks: number) {
    this.#self = self;
    this.#timeoutTicks = timeoutTicks;
  }

  heard(peer: number, rank: Rank, now: Tick): void {
    if (peer === this.#self) return;
    this.#heard.delete(peer);
    this.#heard.set(peer, { rank, tick: now });
    if (this.#heard.size > PINGERS_MAX) this.#heard.delete(this.#heard.keys().next().value as number);
  }

  forget(peer: number): void {
    this.#heard.delete(peer);
  }

  /** Pingers heard within the timeout, of one rank or both. */
  fresh(now: Tick, rank?: Rank): number[] {
    const peers: number[] = [];
    for (const [peer, heard] of this.#heard) {
      if (now - heard.tick <= this.#timeoutTicks && (rank === undefined || heard.rank === rank)) peers.push(peer);
    }
    return peers;
  }

  /**
   * The closest fresh pinger of `rank` behind this peer. Closest, not latest: a pinger that has
   * not yet heard of a peer that joined in between is farther, and a range that is too small only
   * sends a lookup one more time around the ring, while one too large would take a file that is
   * not this peer's.
   */
  closest(now: Tick, rank: Rank): number | undefined {
    let closest: number | undefined;
    for (const peer of this.fresh(now, rank)) {
      if (closest === undefined || clockwiseDistance(peer, this.#self) < clockwiseDistance(closest, this.#self)) closest = peer;
    }
    return closest;
  }
}
