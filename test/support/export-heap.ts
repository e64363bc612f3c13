/**
 * Measures what exporting a recorded journal over HTTP costs the manager: its heap growth (the
 * peak above the baseline, sampled every 5 ms while the export runs), the longest the event loop
 * stalled meanwhile (the largest gap between those samples: how long any API call could wait),
 * and the slowest of the session calls made every 20 ms. Run with
 *   node --expose-gc --experimental-strip-types test/support/export-heap.ts JOURNAL FORMAT
 * prints one JSON line: { baseline, peakGrowth, bytes, exportMs, stallMsMax, sessionCallMsMax } (bytes, ms).
 */
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { ApiServer } from '../../src/main/server/server.ts';

const [path, format = 'text'] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: export-heap.ts JOURNAL [FORMAT]');
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

// The manager appends to the journal it is given: it exports what the file holds.
const manager = new ClusterManager({ journalPath: path, secret: 'measure' });
const server = new ApiServer({ manager, startedAt: Date.now() }, { port: 0 });
await server.listen();
const base = `http://${server.host}:${server.port}`;
try {
  // Warm the route and the session call once, so the baseline holds what they load.
  await (await fetch(`${base}/api/session?token=${server.token}`)).json();
  for (let round = 0; round < 3; round++) gc();
  const baseline = process.memoryUsage().heapUsed;
  let peak = baseline;
  let lastSample = performance.now();
  let stallMsMax = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    const now = performance.now();
    stallMsMax = Math.max(stallMsMax, now - lastSample);
    lastSample = now;
  }, 5);
  // Meanwhile, the window asks for the session every 20 ms: none of its calls may wait long.
  let sessionCallMsMax = 0;
  let exporting = true;
  const calls = (async () => {
    while (exporting) {
      const startedAt = performance.now();
      await (await fetch(`${base}/api/session?token=${server.token}`)).json();
      sessionCallMsMax = Math.max(sessionCallMsMax, performance.now() - startedAt);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const startedAt = performance.now();
  const response = await fetch(`${base}/api/export/${format}?token=${server.token}`);
  if (response.status !== 200 || response.body === null) throw new Error(`export answered ${response.status}`);
  let bytes = 0;
  for await (const chunk of response.body) bytes += (chunk as Uint8Array).length;
  const exportMs = performance.now() - startedAt;
  exporting = false;
  await calls;
  clearInterval(sampler);
  process.stdout.write(`${JSON.stringify({ baseline, peakGrowth: peak - baseline, bytes, exportMs: Math.round(exportMs), stallMsMax: Math.round(stallMsMax), sessionCallMsMax: Math.round(sessionCallMsMax) })}\n`);
} finally {
  await server.close();
  await manager.shutdown({ graceful: false });
}
