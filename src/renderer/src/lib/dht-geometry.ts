/**
 * Where things go on the circular DHT's drawing: identity 0 at the top, clockwise to 255, and
 * arrows between two identities as curves (successors bend inward, predecessors outward).
 */
import { IDENTITY_COUNT } from '../../../shared/protocol/dht.ts';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where on the circle each identity goes, as a fraction of a turn from the top. */
export type Placement = (identity: number) => number;

/** Identities to scale: 0 at the top, 128 at the bottom. */
export const toScale: Placement = (identity) => identity / IDENTITY_COUNT;

/**
 * Identities spread evenly in their order round the circle: a ring such as 2, 4, 5, 8, 9, 14, 19
 * sits within 7 % of the circle to scale, too close to read. Unknown identities fall between.
 */
export function spread(identities: Iterable<number>): Placement {
  const sorted = [...new Set(identities)].sort((a, b) => a - b);
  return (identity) => {
    const index = sorted.indexOf(identity);
    if (index >= 0) return index / sorted.length;
    const after = sorted.findIndex((candidate) => candidate > identity);
    return ((after < 0 ? sorted.length : after) - 0.5) / Math.max(1, sorted.length);
  };
}

/** The point a fraction `turn` of the way round a circle of `radius` around `center`, from the top. */
export function pointAt(turn: number, radius: number, center: Point): Point {
  const angle = turn * 2 * Math.PI - Math.PI / 2;
  return { x: center.x + radius * Math.cos(angle), y: center.y + radius * Math.sin(angle) };
}

/** The point of `identity` on a circle of `radius` around `center`, to scale. */
export function pointOf(identity: number, radius: number, center: Point): Point {
  return pointAt(toScale(identity), radius, center);
}

/**
 * An SVG path from `from` to `to` on the circle, bent toward the center by `bend` (0: a straight
 * chord; negative: outward), stopping `gap` px short of each end so arrowheads clear the dots.
 */
export function arrowPath(from: number, to: number, radius: number, center: Point, bend: number, gap = 13, placement: Placement = toScale): string {
  const a = pointAt(placement(from), radius, center);
  const b = pointAt(placement(to), radius, center);
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  const control = { x: mid.x + (center.x - mid.x) * bend, y: mid.y + (center.y - mid.y) * bend };
  const start = towards(a, control, gap);
  const end = towards(b, control, gap);
  return `M ${start.x.toFixed(1)} ${start.y.toFixed(1)} Q ${control.x.toFixed(1)} ${control.y.toFixed(1)} ${end.x.toFixed(1)} ${end.y.toFixed(1)}`;
}

function towards(from: Point, to: Point, distance: number): Point {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy);
  if (length === 0) return from;
  const t = Math.min(1, distance / length);
  return { x: from.x + dx * t, y: from.y + dy * t };
}
