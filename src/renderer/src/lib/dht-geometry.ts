/**
 * Where things go on the circular DHT's drawing: identity 0 at the top, clockwise to 255.
 *
 * Two placements: `spread` (peers evenly in identity order: readable, not to scale) and `toScale`
 * (identity / 256 of a turn). To scale, a ring such as 2, 4, 5, 8, 9, 14, 19 sits within 7 % of
 * the circle, so each peer is a mark at its identity and its label is laid out apart from the
 * others (`layOutLabels`) on a ring outside, with a leader line between the two.
 *
 * Links: `chordPath` (straight or bent, between two points: a successor between neighbours, a
 * hop of a route) and `arcPath` (along a circle, clockwise: a successor link to scale spans the
 * identities its successor owns). `stackOutward` places file chips outward from a peer so that
 * they never overlap, whatever side of the circle it is on.
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
 * Label positions (turns) as close as they can be to `wanted` (turns, any order) with at least
 * `gapTurns` between any two round the circle, in the same circular order; the result is in the
 * order given. When the labels cannot all fit, the gap shrinks to an even share of the turn.
 *
 * The circle is cut at the widest gap between wanted positions and the labels laid on a line:
 * with v_k = wanted_k − k·gap, label k goes to b_k + k·gap where b is the closest non-decreasing
 * sequence to v (pool adjacent violators), which keeps every gap and moves labels least. Should
 * the two ends then come closer than a gap across the cut, all move as one block.
 */
export function layOutLabels(wanted: readonly number[], gapTurns: number): number[] {
  const count = wanted.length;
  if (count === 0) return [];
  const gap = Math.min(gapTurns, 1 / count);
  const order = wanted.map((turn, index) => ({ turn: turn - Math.floor(turn), index })).sort((a, b) => a.turn - b.turn);
  let cut = 0;
  let widest = -1;
  for (let k = 0; k < count; k++) {
    const next = k + 1 < count ? (order[k + 1] as { turn: number }).turn : (order[0] as { turn: number }).turn + 1;
    const space = next - (order[k] as { turn: number }).turn;
    if (space > widest) {
      widest = space;
      cut = (k + 1) % count;
    }
  }
  const line = Array.from({ length: count }, (_, k) => {
    const at = order[(cut + k) % count] as { turn: number; index: number };
    return { index: at.index, turn: at.turn + (cut + k >= count ? 1 : 0) };
  });
  // Pool adjacent violators over v_k = turn_k − k·gap: each block's base is the mean of its v.
  const blocks: { size: number; sum: number }[] = [];
  line.forEach((label, k) => {
    blocks.push({ size: 1, sum: label.turn - k * gap });
    for (;;) {
      const last = blocks[blocks.length - 1] as { size: number; sum: number };
      const before = blocks[blocks.length - 2];
      if (before === undefined || before.sum / before.size <= last.sum / last.size) break;
      blocks.pop();
      before.size += last.size;
      before.sum += last.sum;
    }
  });
  let bases = blocks.flatMap((block) => Array<number>(block.size).fill(block.sum / block.size));
  // Across the cut: the last label must stay a gap before the first one's next turn.
  if ((bases[count - 1] as number) + (count - 1) * gap - (bases[0] as number) > 1 - gap + 1e-9) {
    const mean = line.reduce((total, label, k) => total + label.turn - k * gap, 0) / count;
    bases = bases.map(() => mean);
  }
  const result = new Array<number>(count);
  line.forEach((label, k) => {
    const turn = (bases[k] as number) + k * gap;
    result[label.index] = turn - Math.floor(turn);
  });
  return result;
}

/**
 * An SVG path from `a` to `b`, bent toward `center` by `bend` (0: a straight chord; negative:
 * outward), stopping `gapPx` short of each end so arrowheads clear the peers' circles.
 */
export function chordPath(a: Point, b: Point, center: Point, bend: number, gapPx = 13): string {
  const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  const control = { x: mid.x + (center.x - mid.x) * bend, y: mid.y + (center.y - mid.y) * bend };
  const start = towards(a, control, gapPx);
  const end = towards(b, control, gapPx);
  return `M ${round(start.x)} ${round(start.y)} Q ${round(control.x)} ${round(control.y)} ${round(end.x)} ${round(end.y)}`;
}

/** `chordPath` between two identities placed by `placement` on a circle of `radius`. */
export function arrowPath(from: number, to: number, radius: number, center: Point, bend: number, gap = 13, placement: Placement = toScale): string {
  return chordPath(pointAt(placement(from), radius, center), pointAt(placement(to), radius, center), center, bend, gap);
}

/**
 * An SVG arc along the circle of `radius` clockwise from turn `from` to turn `to` (the long way
 * when `to` comes before `from`), `gapPx` short of each end; empty when nothing is left of it.
 */
export function arcPath(from: number, to: number, radius: number, center: Point, gapPx = 0): string {
  let sweep = to - from;
  sweep -= Math.floor(sweep);
  if (sweep === 0) return '';
  const gapTurns = gapPx / (2 * Math.PI * radius);
  const start = from + gapTurns;
  const length = sweep - 2 * gapTurns;
  if (length <= 0) return '';
  const a = pointAt(start, radius, center);
  const b = pointAt(start + length, radius, center);
  return `M ${round(a.x)} ${round(a.y)} A ${round(radius)} ${round(radius)} 0 ${length > 0.5 ? 1 : 0} 1 ${round(b.x)} ${round(b.y)}`;
}

/**
 * Centres of `count` boxes of `size` stacked outward from `anchor` (away from `center`), the
 * first `fromPx` beyond the anchor's edge: each step is the boxes' extent along that direction,
 * so boxes beside a peer at 3 o'clock stack sideways and those above one at 12 stack upward,
 * without overlapping either way.
 */
export function stackOutward(anchor: Point, center: Point, fromPx: number, count: number, size: { width: number; height: number }, spacingPx = 3): Point[] {
  const dx = anchor.x - center.x;
  const dy = anchor.y - center.y;
  const length = Math.hypot(dx, dy) || 1;
  const unit = { x: dx / length, y: dy / length };
  const extent = Math.abs(unit.x) * size.width + Math.abs(unit.y) * size.height;
  return Array.from({ length: count }, (_, index) => {
    const distance = fromPx + extent / 2 + index * (extent + spacingPx);
    return { x: anchor.x + unit.x * distance, y: anchor.y + unit.y * distance };
  });
}

function towards(from: Point, to: Point, distance: number): Point {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const length = Math.hypot(dx, dy);
  if (length === 0) return from;
  const t = Math.min(1, distance / length);
  return { x: from.x + dx * t, y: from.y + dy * t };
}

function round(value: number): string {
  return value.toFixed(1);
}
