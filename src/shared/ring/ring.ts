/**
 * Consistent hashing: peers own tokens on a ring of `positions` places; a key belongs to the
 * first token at or clockwise of its position, and its preference list is the first `replicas`
 * distinct peers met walking clockwise from there (PRIMARY, SECONDARY, TERTIARY, …).
 *
 * Two placements:
 * - classroom: 512 positions, one token per peer at hash(address) mod 512, as the assignment;
 * - balanced (the default): 2^32 positions and `tokensPerPeer` virtual nodes per peer at
 *   hash("address#i"); the walk skips tokens of peers already chosen, so the replicas are always
 *   on distinct peers, and each peer's share of the ring evens out as tokens grow.
 * A ring is an immutable snapshot: a membership change builds a new one.
 */
import { assert, type PeerId } from '../machine.ts';
import { HashCache } from './hash.ts';

export type Placement = 'classroom' | 'balanced';

export interface RingConfig {
  readonly placement: Placement;
  /** Places on the ring. Classroom 512; balanced 2^32. */
  readonly positions: number;
  /** Virtual nodes per peer. Classroom 1; balanced 64 (see `npm run bench`: max/mean load ≤ 1.25 at 10 peers). */
  readonly tokensPerPeer: number;
  /** N: how many distinct peers hold each key. Default 3. */
  readonly replicas: number;
}

export const CLASSROOM_RING: RingConfig = { placement: 'classroom', positions: 512, tokensPerPeer: 1, replicas: 3 };
export const BALANCED_RING: RingConfig = { placement: 'balanced', positions: 2 ** 32, tokensPerPeer: 64, replicas: 3 };

/** The names of the replicas by their place in a preference list. */
export const REPLICA_ROLES = ['PRIMARY', 'SECONDARY', 'TERTIARY'] as const;

export interface Token {
  readonly position: number;
  readonly peer: PeerId;
}

export class Ring {
  readonly config: RingConfig;
  readonly peers: readonly PeerId[];
  /** Sorted by position, then by peer (two peers may hash to one place). */
  readonly tokens: readonly Token[];
  readonly #hashes: HashCache;

  constructor(config: RingConfig, peers: Iterable<PeerId>, hashes: HashCache = new HashCache()) {
    assert(config.replicas >= 1 && config.tokensPerPeer >= 1 && config.positions >= 1, 'a ring has places, tokens and replicas');
    this.config = config;
    this.#hashes = hashes;
    this.peers = [...new Set(peers)].sort();
    const tokens: Token[] = [];
    for (const peer of this.peers) {
      for (let index = 0; index < config.tokensPerPeer; index++) {
        const label = config.placement === 'classroom' ? peer : `${peer}#${index}`;
        tokens.push({ position: hashes.hash(label) % config.positions, peer });
      }
    }
    tokens.sort((a, b) => a.position - b.position || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
    this.tokens = tokens;
  }

  /** True when there are enough peers to place a key (the classroom: at least 3). */
  get placesKeys(): boolean {
    return this.peers.length >= this.config.replicas;
  }

  /** The key's place on the ring. */
  positionOf(key: string): number {
    return this.#hashes.hash(key) % this.config.positions;
  }

  /** Index of the first token at or clockwise of `position`. */
  #firstTokenAt(position: number): number {
    return firstTokenAt(this.tokens, position);
  }

  /**
   * The first `count` distinct peers clockwise from the key (default N): its owners first, then
   * the peers a sloppy quorum falls back to. Empty when the ring cannot place keys.
   */
  preferenceList(key: string, count = this.config.replicas): PeerId[] {
    return this.preferenceListAt(this.positionOf(key), count);
  }

  /** The preference list of any key at `position`. */
  preferenceListAt(position: number, count = this.config.replicas): PeerId[] {
    const chosen: PeerId[] = [];
    this.#walk(position, count, (peer) => {
      chosen.push(peer);
      return false;
    });
    return chosen;
  }

  /** True when `peer` is one of the key's N owners. */
  owns(peer: PeerId, key: string): boolean {
    let found = false;
    this.#walk(this.positionOf(key), this.config.replicas, (owner) => (found = owner === peer));
    return found;
  }

  /**
   * Meets the first `count` distinct peers clockwise from `position`, in order, until `visit`
   * returns true. Nothing when the ring cannot place keys.
   */
  #walk(position: number, count: number, visit: (peer: PeerId) => boolean): void {
    if (!this.placesKeys) return;
    const wanted = Math.min(count, this.peers.length);
    const tokens = this.tokens;
    const met: PeerId[] = [];
    for (let step = 0, index = this.#firstTokenAt(position); met.length < wanted && step < tokens.length; step++) {
      const peer = (tokens[index] as Token).peer;
      if (!met.includes(peer)) {
        met.push(peer);
        if (visit(peer)) return;
      }
      index = index + 1 === tokens.length ? 0 : index + 1;
    }
  }
}

/** Index of the first of `tokens` (sorted by position) at or clockwise of `position`. */
export function firstTokenAt(tokens: readonly Token[], position: number): number {
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((tokens[middle] as Token).position < position) low = middle + 1;
    else high = middle;
  }
  return low === tokens.length ? 0 : low;
}
