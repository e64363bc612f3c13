/** A ring change in words: `+peer #6, 18% of keys moved (36 of 200)`. */
import type { RingChange } from '../stores/ring.ts';

export function describeRingChange(change: RingChange, label: (peer: string) => string): string {
  const who = [...change.added.map((peer) => `+peer ${label(peer)}`), ...change.removed.map((peer) => `−peer ${label(peer)}`)].join(', ');
  if (change.keys === 0) return `${who}: no keys known then`;
  const moved = Math.round(change.movedFraction * change.keys);
  return `${who}, ${Math.round(change.movedFraction * 100)}% of keys moved (${moved.toLocaleString('en-US')} of ${change.keys.toLocaleString('en-US')})`;
}
