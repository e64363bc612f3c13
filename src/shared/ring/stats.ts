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

/** The fraction of `keys` whose preference list differs between two rings. */
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
