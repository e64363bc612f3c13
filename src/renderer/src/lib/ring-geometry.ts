/**
 * The ring as a circle: where a position, a token or a key goes on screen, the walk that picks a
 * key's replicas (drawn as arcs), and which key point lies under the pointer. Position 0 is at
 * the top and positions grow clockwise, the way the preference list is walked.
 *
 * Thousands of keys are drawn as one SVG path per colour (a dot is a zero-length segment with a
 * round cap), so the page holds a handful of elements however many keys there are.
 */
import { firstTokenAt, REPLICA_ROLES, type Ring, type Token } from '../../../shared/ring/ring.ts';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** The fraction of the way round the ring a position is, in [0, 1). */
export function fractionOf(position: number, positions: number): number {
  return position / positions;
}

export function pointAt(fraction: number, radius: number, center: Point): Point {
  const angle = fraction * 2 * Math.PI - Math.PI / 2;
  return { x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle) };
}

/** The fraction of the ring at a point (inverse of `pointAt`'s angle). */
export function fractionAtPoint(point: Point, center: Point): number {
  const angle = Math.atan2(point.y - center.y, point.x - center.x) + Math.PI / 2;
  const fraction = angle / (2 * Math.PI);
  return fraction < 0 ? fraction + 1 : fraction >= 1 ? fraction - 1 : fraction;
}

const round = (value: number): number => Math.round(value * 10) / 10;

/** Radial ticks, one per fraction, from `inner` to `outer`: one path. */
export function ticksPath(fractions: Iterable<number>, inner: number, outer: number, center: Point): string {
  const parts: string[] = [];
  for (const fraction of fractions) {
    const from = pointAt(fraction, inner, center);
    const to = pointAt(fraction, outer, center);
    parts.push(`M${round(from.x)} ${round(from.y)}L${round(to.x)} ${round(to.y)}`);
  }
  return parts.join('');
}

/** Dots (zero-length segments: draw with `stroke-linecap: round`): one path. */
export function dotsPath(points: Iterable<Point>): string {
  const parts: string[] = [];
  for (const point of points) parts.push(`M${round(point.x)} ${round(point.y)}h0.01`);
  return parts.join('');
}

/** A clockwise arc at `radius` from one fraction to another (the long way if it must). */
export function arcPath(from: number, to: number, radius: number, center: Point): string {
  const span = (to - from + 1) % 1;
  const start = pointAt(from, radius, center);
  const end = pointAt(from + span, radius, center);
  if (span === 0) return `M${round(start.x)} ${round(start.y)}`;
  return `M${round(start.x)} ${round(start.y)}A${radius} ${radius} 0 ${span > 0.5 ? 1 : 0} 1 ${round(end.x)} ${round(end.y)}`;
}

/** One key on the ring: where it sits and which peer is its PRIMARY. */
export interface PlacedKey {
  readonly key: string;
  readonly fraction: number;
  /** Spreads the dots across a band so that dense stretches show as dense; in [0, 1). */
  readonly spread: number;
  readonly primary: string | undefined;
}

/** Every key's place, sorted clockwise (for drawing and for finding the key under the pointer). */
export function placeKeys(ring: Ring, keys: readonly string[]): PlacedKey[] {
  const positions = ring.config.positions;
  const tokens = ring.tokens;
  const placed = keys.map((key) => {
    const position = ring.positionOf(key);
    const token = tokens.length === 0 ? undefined : tokens[firstTokenAt(tokens, position)];
    return { key, fraction: fractionOf(position, positions), spread: (position % 1021) / 1021, primary: ring.placesKeys ? token?.peer : undefined };
  });
  return placed.sort((a, b) => a.fraction - b.fraction);
}

/** Index of the first placed key at or after `fraction`. */
function firstKeyAt(placed: readonly PlacedKey[], fraction: number): number {
  let low = 0;
  let high = placed.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((placed[middle] as PlacedKey).fraction < fraction) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The keys within `tolerance` (a fraction of the ring) of `fraction`, wrapping round the top,
 * at most `limit` of them (a dense stretch has thousands; the pointer needs only those nearby).
 */
export function keysNear(placed: readonly PlacedKey[], fraction: number, tolerance: number, limit = 256): PlacedKey[] {
  const near: PlacedKey[] = [];
  const count = placed.length;
  if (count === 0) return near;
  const start = firstKeyAt(placed, fraction);
  const distance = (candidate: PlacedKey): number => {
    const gap = Math.abs(candidate.fraction - fraction);
    return Math.min(gap, 1 - gap);
  };
  for (let step = 0; step < count && near.length < limit; step++) {
    const candidate = placed[(start + step) % count] as PlacedKey;
    if (distance(candidate) > tolerance) break;
    near.push(candidate);
  }
  for (let step = 1; step <= count - near.length && near.length < limit; step++) {
    const candidate = placed[(start - step + count) % count] as PlacedKey;
    if (distance(candidate) > tolerance) break;
    near.push(candidate);
  }
  return near;
}

export type ReplicaRole = (typeof REPLICA_ROLES)[number];

/** One step of the walk: a replica, its role, and the token where the walk met it. */
export interface ReplicaStep {
  readonly peer: string;
  readonly role: ReplicaRole;
  readonly tokenFraction: number;
}

/**
 * The walk clockwise from the key that chooses its replicas: the first token of each distinct
 * peer met. The peers are exactly `ring.preferenceList(key)`; the tokens say where to draw them.
 */
export function replicaWalk(ring: Ring, key: string): ReplicaStep[] {
  if (!ring.placesKeys) return [];
  const tokens = ring.tokens;
  const wanted = Math.min(ring.config.replicas, ring.peers.length);
  const steps: ReplicaStep[] = [];
  for (let index = firstTokenAt(tokens, ring.positionOf(key)), step = 0; steps.length < wanted && step < tokens.length; step++) {
    const token = tokens[index] as Token;
    if (!steps.some((known) => known.peer === token.peer)) {
      steps.push({ peer: token.peer, role: REPLICA_ROLES[Math.min(steps.length, REPLICA_ROLES.length - 1)] as ReplicaRole, tokenFraction: fractionOf(token.position, ring.config.positions) });
    }
    index = index + 1 === tokens.length ? 0 : index + 1;
  }
  return steps;
}
