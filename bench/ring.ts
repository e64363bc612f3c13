/**
 * Ring balance: the busiest peer's load over the mean, for 10 and 100 peers at 1, 16, 64 and
 * 256 tokens per peer with 100,000 keys (N = 3 replicas), next to what theory expects:
 * - one token per peer: a peer's arc is the largest of N random spacings, H_N ≈ ln N + 0.58
 *   times the mean (for the primary share);
 * - v tokens: a peer's share sums v arcs, so it is near-normal with relative spread 1/√v, and the
 *   largest of N such is about 1 + √(2 ln N / v) times the mean.
 * Replica load (3 arcs per key) is a little more even than the primary share the theory describes.
 */
import { BALANCED_RING, Ring } from '../src/shared/ring/ring.ts';
import { movedFraction, placementStats } from '../src/shared/ring/stats.ts';

const keys = Array.from({ length: 100_000 }, (_, index) => `key-${index}`);
const rows: string[] = [];
for (const peers of [10, 100]) {
  const ids = Array.from({ length: peers }, (_, index) => `${index + 1}.0.0.0:0`);
  for (const tokensPerPeer of [1, 16, 64, 256]) {
    const started = performance.now();
    const ring = new Ring({ ...BALANCED_RING, tokensPerPeer }, ids);
    const { maxMeanLoad } = placementStats(ring, keys);
    const theory = tokensPerPeer === 1 ? harmonic(peers) : 1 + Math.sqrt((2 * Math.log(peers)) / tokensPerPeer);
    const moved = movedFraction(ring, new Ring({ ...BALANCED_RING, tokensPerPeer }, [...ids, 'newcomer:1']), keys.slice(0, 20_000));
    const target = peers === 10 && tokensPerPeer === BALANCED_RING.tokensPerPeer ? (maxMeanLoad <= 1.25 ? 'met (≤ 1.25)' : 'MISSED (≤ 1.25)') : '';
    rows.push(
      [String(peers).padStart(5), String(tokensPerPeer).padStart(6), maxMeanLoad.toFixed(3).padStart(8), theory.toFixed(3).padStart(7), `${(moved * 100).toFixed(1)}%`.padStart(10), `${Math.round(performance.now() - started)} ms`.padStart(8), target].join('  '),
    );
  }
}
console.log(`Ring balance: max/mean replica load, 100,000 keys, N = ${BALANCED_RING.replicas}; default ${BALANCED_RING.tokensPerPeer} tokens per peer`);
console.log(['peers', 'tokens', 'max/mean', 'theory', 'moved/join', 'time', 'target'].map((cell, index) => cell.padStart([5, 6, 8, 7, 10, 8, 0][index] ?? 0)).join('  '));
for (const row of rows) console.log(row);
console.log('moved/join: the share of keys whose replica set changes when one peer joins (ideal: N/(peers+1)).');

function harmonic(count: number): number {
  let sum = 0;
  for (let index = 1; index <= count; index++) sum += 1 / index;
  return sum;
}
