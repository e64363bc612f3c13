/**
 * The updates waiting to be piggybacked (memberlist's TransmitLimitedQueue).
 *
 * Each message carries the updates sent the fewest times so far, newest first among equals; an
 * update is retired after `transmitLimit` sends (λ·log N in the SWIM paper). A newer update about
 * a member replaces the older one. The queue is bounded: past `max`, the most-sent update goes.
 */
import type { PeerId } from '../../machine.ts';
import type { SwimUpdate } from '../../protocol/membership.ts';

interface Broadcast {
  readonly update: SwimUpdate;
  readonly bytes: number;
  transmits: number;
  live: boolean;
}

export class BroadcastQueue {
  readonly max: number;
  /** `#buckets[t]` holds the broadcasts sent t times; the end of each array is the newest. */
  readonly #buckets: Broadcast[][] = [[]];
  readonly #byMember = new Map<PeerId, Broadcast>();
  /** Broadcasts still to send. */
  #live = 0;
  /** Entries in the buckets, replaced ones included until they are swept out. */
  #stored = 0;
  /** Scratch space for `take`, reused so that sending allocates nothing here. */
  readonly #taken: Broadcast[] = [];

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.#live;
  }

  enqueue(update: SwimUpdate, bytes: number): void {
    const previous = this.#byMember.get(update.member);
    if (previous !== undefined) this.#retire(previous);
    const broadcast: Broadcast = { update, bytes, transmits: 0, live: true };
    (this.#buckets[0] as Broadcast[]).push(broadcast);
    this.#byMember.set(update.member, broadcast);
    this.#live++;
    this.#stored++;
    if (this.#live > this.max) this.#dropMostSent();
    if (this.#stored > 2 * this.max + 64) this.#compact();
  }

  /**
   * Appends to `into` up to `countMax` updates whose sizes sum to at most `bytesMax`, counting a
   * send for each. Returns the bytes taken.
   */
  take(into: SwimUpdate[], countMax: number, bytesMax: number, transmitLimit: number): number {
    if (this.#live === 0) return 0;
    const taken = this.#taken;
    taken.length = 0;
    let bytes = 0;
    scan: for (let transmits = 0; transmits < this.#buckets.length; transmits++) {
      const bucket = this.#buckets[transmits] as Broadcast[];
      while (bucket.length > 0 && taken.length < countMax) {
        const broadcast = bucket[bucket.length - 1] as Broadcast;
        if (!broadcast.live) {
          bucket.pop();
          this.#stored--;
          continue;
        }
        if (bytes + broadcast.bytes > bytesMax) break scan;
        bucket.pop();
        taken.push(broadcast);
        bytes += broadcast.bytes;
      }
      if (taken.length >= countMax) break;
    }
    for (const broadcast of taken) into.push(broadcast.update);
    // Oldest first, so each bucket keeps its newest at the end.
    for (let index = taken.length - 1; index >= 0; index--) {
      const broadcast = taken[index] as Broadcast;
      broadcast.transmits++;
      if (broadcast.transmits >= transmitLimit) {
        this.#stored--; // popped above and not put back
        broadcast.live = false;
        this.#live--;
        if (this.#byMember.get(broadcast.update.member) === broadcast) this.#byMember.delete(broadcast.update.member);
      } else {
        (this.#buckets[broadcast.transmits] ??= []).push(broadcast);
      }
    }
    // Arrays keep the capacity they once needed: after a join storm that is a thousand slots per
    // bucket per peer. A drained queue starts afresh.
    if (this.#live === 0) this.#reset();
    return bytes;
  }

  #reset(): void {
    this.#buckets.length = 0;
    this.#buckets.push([]);
    this.#stored = 0;
    this.#byMember.clear();
  }

  #retire(broadcast: Broadcast): void {
    if (!broadcast.live) return;
    broadcast.live = false;
    this.#live--;
    if (this.#byMember.get(broadcast.update.member) === broadcast) this.#byMember.delete(broadcast.update.member);
  }

  #dropMostSent(): void {
    for (let transmits = this.#buckets.length - 1; transmits >= 0; transmits--) {
      const bucket = this.#buckets[transmits] as Broadcast[];
      for (const broadcast of bucket) {
        if (broadcast.live) {
          this.#retire(broadcast);
          return;
        }
      }
    }
  }

  #compact(): void {
    this.#stored = 0;
    for (let transmits = 0; transmits < this.#buckets.length; transmits++) {
      const live = (this.#buckets[transmits] as Broadcast[]).filter((broadcast) => broadcast.live);
      this.#buckets[transmits] = live;
      this.#stored += live.length;
    }
  }
}
