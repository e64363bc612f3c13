/**
 * A ring change in words: `+peer #6: primaries moved 17% (34 of 200), replica copies moved 16%
 * (98 of 600); theory ≈ 1/6 = 17%`. The two figures are `movement`'s (`shared/ring/stats.ts`),
 * defined in `MOVED_DEFINITIONS` (shown on hover).
 */
import type { RingChange } from '../stores/ring.ts';

/** What each figure means, as the view shows it on hover. */
export const MOVED_DEFINITIONS = {
  primaries: 'Primaries moved: the known keys whose PRIMARY (the first peer of the preference list) is another peer after the change, over the known keys.',
  copies:
    'Replica copies moved: the copies (key, peer) in the new preference lists that were not in the old ones — each a copy a peer had to receive — over keys × N (N copies per key).',
  theory:
    'Theory, with tokens spread evenly: a peer joining n others takes about 1/(n+1) of the primaries and of the copies (its share of the ring); removing one of n peers moves about 1/n of both. A kill moves nothing: the killed peer stays an owner until it is removed.',
} as const;

const percent = (fraction: number): string => `${Math.round(fraction * 100)}%`;
const count = (value: number): string => value.toLocaleString('en-US');

/** The parts of a change's sentence: who came and went, the two figures and the theory. */
export function ringChangeParts(change: RingChange, label: (peer: string) => string): { who: string; primaries: string; copies: string; theory: string } | { who: string; none: string } {
  const who = [...change.added.map((peer) => `+peer ${label(peer)}`), ...change.removed.map((peer) => `−peer ${label(peer)}`)].join(', ');
  if (change.keys === 0) return { who, none: 'no keys known then' };
  const { moved, theory } = change;
  return {
    who,
    primaries: `primaries moved ${percent(moved.primaryFraction)} (${count(moved.primariesMoved)} of ${count(moved.keys)})`,
    copies: `replica copies moved ${percent(moved.copyFraction)} (${count(moved.copiesMoved)} of ${count(moved.copies)})`,
    theory: theory === undefined ? 'no simple theory when peers join and leave at once' : `theory ≈ ${theory.text} = ${percent(theory.fraction)}`,
  };
}

export function describeRingChange(change: RingChange, label: (peer: string) => string): string {
  const parts = ringChangeParts(change, label);
  return 'none' in parts ? `${parts.who}: ${parts.none}` : `${parts.who}: ${parts.primaries}, ${parts.copies}; ${parts.theory}`;
}
