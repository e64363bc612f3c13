/**
 * Ring balance, for 10 and 100 peers at 1, 16, 64 and 256 tokens per peer with 100,000 keys:
 * the busiest peer's primary share of the ring over the mean, next to what theory expects, and
 * the busiest peer's replica load (N = 3) over the mean, which the target is about.
 * - one token per peer: the largest of N random spacings is about H_N ≈ ln N + 0.58 times the mean;
 * - v tokens: a share sums v spacings, near-normal with relative spread 1/√v, and the largest of N
 *   such is about 1 + √(2 ln N / v) times the mean (a Gaussian-maximum approximation).
 * Replica load counts three consecutive owners per key, so it is more even than primary shares.
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
    const { maxMeanLoad, shares } = placementStats(ring, keys);
    const primaryMaxMean = Math.max(...shares.map((share) => share.spaceShare)) * peers;
    const theory = tokensPerPeer === 1 ? harmonic(peers) : 1 + Math.sqrt((2 * Math.log(peers)) / tokensPerPeer);
    const moved = movedFraction(ring, new Ring({ ...BALANCED_RING, tokensPerPeer }, [...ids, 'newcomer:1']), keys.slice(0, 20_000));
    const target = peers === 10 && tokensPerPeer === BALANCED_RING.tokensPerPeer ? (maxMeanLoad <= 1.25 ? 'met (≤ 1.25)' : 'MISSED (≤ 1.25)') : '';
    rows.push(
      [String(peers).padStart(5), String(tokensPerPeer).padStart(6), primaryMaxMean.toFixed(3).padStart(7), theory.toFixed(3).padStart(7), maxMeanLoad.toFixed(3).padStart(12), `${(moved * 100).toFixed(1)}%`.padStart(10), `${Math.round(performance.now() - started)} ms`.padStart(8), target].join('  '),
    );
  }
}
console.log(`Ring balance, 100,000 keys, N = ${BALANCED_RING.replicas}; default ${BALANCED_RING.tokensPerPeer} tokens per peer (max/mean: the busiest peer over the average)`);
console.log(['peers', 'tokens', 'primary', 'theory', 'replica load', 'moved/join', 'time', 'target'].map((cell, index) => cell.padStart([5, 6, 7, 7, 12, 10, 8, 0][index] ?? 0)).join('  '));
for (const row of rows) console.log(row);
console.log('moved/join: the share of keys whose replica set changes when one peer joins (ideal: N/(peers+1)).');

function harmonic(count: number): number {
  let sum = 0;
  for (let index = 1; index <= count; index++) sum += 1 / index;
  return sum;
}
