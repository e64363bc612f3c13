/**
 * Placement statistics a view can show: each peer's share of the key space and of the keys,
 * how uneven the load is (max/mean), and how many keys move when the ring changes.
 */
import type { PeerId } from '../machine.ts';
import type { Ring, Token } from './ring.ts';

export interface PeerShare {
  readonly peer: PeerId;
  /** Fraction of the ring's positions for which this peer is the PRIMARY. */
  readonly spaceShare: number;
  /** Fraction of the given keys this peer holds as one of their N replicas, over N. */
  readonly keyShare: number;
  readonly keys: number;
}

export interface PlacementStats {
  readonly shares: readonly PeerShare[];
  /** The busiest peer's replica count over the mean: 1 is perfectly even. */
  readonly maxMeanLoad: number;
}

export function placementStats(ring: Ring, keys: Iterable<string>): PlacementStats {
  const counts = new Map<PeerId, number>(ring.peers.map((peer) => [peer, 0]));
  let placed = 0;
  for (const key of keys) {
    for (const peer of ring.preferenceList(key)) counts.set(peer, (counts.get(peer) ?? 0) + 1);
    placed++;
  }
  const space = primarySpace(ring);
  const replicas = Math.min(ring.config.replicas, ring.peers.length);
  const shares = ring.peers.map((peer) => ({
    peer,
    spaceShare: (space.get(peer) ?? 0) / ring.config.positions,
    keyShare: placed === 0 ? 0 : (counts.get(peer) ?? 0) / (placed * replicas),
    keys: counts.get(peer) ?? 0,
  }));
  const loads = [...counts.values()];
  const mean = loads.reduce((sum, load) => sum + load, 0) / Math.max(1, loads.length);
  return { shares, maxMeanLoad: mean === 0 ? 1 : Math.max(...loads) / mean };
}

/** Positions each peer is PRIMARY for: the arc that ends at each of its tokens. */
function primarySpace(ring: Ring): Map<PeerId, number> {
  const space = new Map<PeerId, number>();
  const tokens = ring.tokens;
  tokens.forEach((token: Token, index) => {
    const previous = tokens[(index + tokens.length - 1) % tokens.length] as Token;
    const arc = tokens.length === 1 ? ring.config.positions : (token.position - previous.position + ring.config.positions) % ring.config.positions;
    space.set(token.peer, (space.get(token.peer) ?? 0) + arc);
  });
  return space;
}

/**
 * The fraction of `keys` whose preference list differs between two rings, as sets: a key counts
 * once any of its N holders changed. That is the share of the ring whose owners change (what a
 * transition hands over, about N/n for one peer of n), not what moved: see `movement`.
 */
export function movedFraction(before: Ring, after: Ring, keys: readonly string[]): number {
  if (keys.length === 0) return 0;
  let moved = 0;
  for (const key of keys) {
    const a = before.preferenceList(key);
    const b = after.preferenceList(key);
    if (a.length !== b.length || a.some((peer) => !b.includes(peer))) moved++;
  }
  return moved / keys.length;
}

/** What a ring change moved, over a set of keys (see `movement`). */
export interface Movement {
  readonly keys: number;
  /** Keys whose PRIMARY (the first of the preference list) is another peer after the change. */
  readonly primariesMoved: number;
  /** `primariesMoved` over `keys` (0 with no keys). */
  readonly primaryFraction: number;
  /** Copies (key, peer) in the new preference lists: keys × N once the ring places keys. */
  readonly copies: number;
  /** Copies (key, peer) in the new preference lists that were not in the old ones: each one a copy a peer had to receive. */
  readonly copiesMoved: number;
  /** `copiesMoved` over `copies` (0 with no copies). */
  readonly copyFraction: number;
  /** The keys whose primary moved, in the order given. */
  readonly movedKeys: readonly string[];
}

/**
 * What moved when the ring went from `before` to `after`, two figures over `keys`:
 * - primaries moved = keys whose primary (first of the preference list) changed / keys;
 * - replica copies moved = copies (key, peer) in the new preference lists that were not in the
 *   old ones / (keys × N), N the copies a key has (`after`'s preference lists are N long).
 * A peer joining n others takes about 1/(n+1) of both (its share of the ring); removing one of
 * n peers moves about 1/n of both (its share, which the others take over): see `movementTheory`.
 */
export function movement(before: Ring, after: Ring, keys: readonly string[]): Movement {
  let primariesMoved = 0;
  let copies = 0;
  let copiesMoved = 0;
  const movedKeys: string[] = [];
  for (const key of keys) {
    const old = before.preferenceList(key);
    const now = after.preferenceList(key);
    if (old[0] !== now[0]) {
      primariesMoved++;
      movedKeys.push(key);
    }
    copies += now.length;
    for (const peer of now) if (!old.includes(peer)) copiesMoved++;
  }
  return {
    keys: keys.length,
    primariesMoved,
    primaryFraction: keys.length === 0 ? 0 : primariesMoved / keys.length,
    copies,
    copiesMoved,
    copyFraction: copies === 0 ? 0 : copiesMoved / copies,
    movedKeys,
  };
}

/** The fraction of primaries (and of copies) a change is expected to move on a ring with evenly spread tokens. */
export interface MovementTheory {
  readonly fraction: number;
  /** How it is reckoned: `1/6` for a sixth peer joining, `1/5` for one of five removed, `2/7`, … */
  readonly text: string;
}

/**
 * The expected share moved by `added` peers joining and `removed` peers leaving `before` peers,
 * when only one of the two happens: k joining n take k/(n+k) (their share of the new ring); k of n
 * removed give up k/n (their share of the old ring). A mixed change has no such simple figure.
 */
export function movementTheory(before: number, added: number, removed: number): MovementTheory | undefined {
  if (added > 0 && removed === 0) return { fraction: added / (before + added), text: `${added}/${before + added}` };
  if (removed > 0 && added === 0 && removed < before) return { fraction: removed / before, text: `${removed}/${before}` };
  return undefined;
}
