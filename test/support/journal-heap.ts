/**
 * Measures how much a cluster manager's heap grows while `count` values of `valueBytes` each are
 * written through it (issue 12: values once stayed in the journal's memory window for good).
 * Run with `node --expose-gc --experimental-strip-types test/support/journal-heap.ts [count] [valueBytes]`;
 * prints one JSON line: { before, after, growth, perValue, entries } (bytes).
 */
import { ClusterManager } from '../../src/main/cluster/manager.ts';

const count = Number(process.argv[2] ?? 200);
const valueBytes = Number(process.argv[3] ?? 1_048_576);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function heapUsed(): number {
  for (let round = 0; round < 3; round++) gc?.();
  return process.memoryUsage().heapUsed;
}

const manager = new ClusterManager({ storage: 'memory', messages: false });
try {
  await manager.start(3);
  // One small write first, so every lazily made structure (connections, caches) exists before the baseline.
  await manager.put('warm-up', 'x');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const before = heapUsed();
  // Four writes at a time, each a fresh value (no string shared with another).
  const writer = async (first: number): Promise<void> => {
    for (let index = first; index < count; index += 4) {
      const value = String.fromCharCode(97 + (index % 26)).repeat(valueBytes);
      const result = await manager.put(`large-${index}`, value);
      if (!result.ok) throw new Error(`put ${index} failed: ${result.reason ?? 'no reason'}`);
    }
  };
  await Promise.all([0, 1, 2, 3].map(writer));
  // Let the peers' last event batches reach the journal.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = heapUsed();
  process.stdout.write(`${JSON.stringify({ before, after, growth: after - before, perValue: Math.round((after - before) / count), entries: manager.journal.size })}\n`);
} finally {
  await manager.shutdown({ graceful: false });
}
