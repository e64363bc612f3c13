/**
 * The key-value section's tools: `redis-benchmark` runs (against a Ringside peer's Redis front
 * or a plain `redis-server`), the `redis-server` itself, and the raw WebSocket round-trip
 * baseline (a `ws` echo server in its own process and a client here).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { forEachLine, freePort, killQuietly, spawnTethered, track, type Tethered } from './children.ts';

/** One redis-benchmark test's figures (latencies in ms). */
export interface LatencyFigures {
  readonly rps: number;
  readonly avg: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface BenchmarkRun {
  readonly tests: Map<string, LatencyFigures>;
  /** Error replies the server counted during the run (INFO stats), when it could be read. */
  readonly errors: number | undefined;
  /** What redis-benchmark wrote to standard error (error replies it saw, first few). */
  readonly stderr: string;
}

/** `redis-benchmark -t set,get -d 100 -r 10000 -n N -c C --csv` against 127.0.0.1:port. */
export async function redisBenchmark(port: number, clients: number, requests: number): Promise<BenchmarkRun> {
  const errorsBefore = await errorReplies(port);
  const args = ['-h', '127.0.0.1', '-p', String(port), '-t', 'set,get', '-d', '100', '-r', '10000', '-n', String(requests), '-c', String(clients), '--csv'];
  const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const untrack = track({ close: () => killQuietly(child.pid), killSync: () => killQuietly(child.pid) });
  const lines: string[] = [];
  let stderr = '';
  forEachLine(child.stdout, (line) => lines.push(line));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 2000) stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  untrack();
  if (code !== 0) throw new Error(`redis-benchmark exited with ${code}: ${stderr.trim().slice(0, 300)}`);
  const tests = new Map<string, LatencyFigures>();
  for (const line of lines) {
    const cells = line.split(',').map((cell) => cell.replace(/^"|"$/g, ''));
    if (cells.length < 8 || cells[0] === 'test') continue;
    const [name, rps, avg, min, p50, p95, p99, max] = cells.map((cell, index) => (index === 0 ? cell : Number(cell))) as [string, ...number[]];
    tests.set(name, { rps, avg, min, p50, p95, p99, max } as LatencyFigures);
  }
  const errorsAfter = await errorReplies(port);
  return { tests, errors: errorsBefore === undefined || errorsAfter === undefined ? undefined : errorsAfter - errorsBefore, stderr: stderr.trim() };
}

/** `total_error_replies` from `INFO stats` (Redis 6.2+ and Ringside's front both report it). */
function errorReplies(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'INFO', 'stats'], { timeout: 5000 }, (error, stdout) => {
      const match = /total_error_replies:(\d+)/.exec(stdout ?? '');
      resolve(error !== null || match === null ? undefined : Number(match[1]));
    });
  });
}

/** A `redis-server` on a free port, without persistence. */
/**
 * A redis-server on a free port: no persistence, or an append-only file synced every second
 * (`everysec`, Redis's default when AOF is on) or before every reply (`always`), in a temporary
 * folder removed when it closes.
 */
export async function startRedisServer(appendfsync?: 'everysec' | 'always'): Promise<{ port: number; server: Tethered }> {
  const port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'ringside-bench-redis-'));
  const persistence = appendfsync === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', appendfsync];
  const server = await spawnTethered('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', folder, ...persistence], {
    ready: /Ready to accept connections/,
  });
  return {
    port,
    server: {
      pid: server.pid,
      shell: server.shell,
      kill: () => server.kill(),
      close: async () => {
        await server.close();
        rmSync(folder, { recursive: true, force: true });
      },
    },
  };
}

/**
 * The raw WebSocket round trip: `requests` request/response exchanges of `bytes`-byte text frames
 * with an echo server in another process, over one connection, `inFlight` at a time (each
 * slot sends its next request when its reply arrives). Latency per request, from send to reply.
 */
export async function webSocketRoundTrips(inFlight: number, requests: number, bytes = 100): Promise<LatencyFigures> {
  const server = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./ws-echo.ts', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const untrack = track({ close: () => killQuietly(server.pid), killSync: () => killQuietly(server.pid) });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the WebSocket echo server did not start')), 10_000);
      forEachLine(server.stdout, (line) => {
        const match = /^port (\d+)$/.exec(line);
        if (match !== null) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      server.on('exit', () => reject(new Error('the WebSocket echo server exited')));
    });
    const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const payload = 'x'.repeat(bytes);
    const latencies = new Float64Array(requests);
    const sentAt = new Float64Array(inFlight);
    let sent = 0;
    let received = 0;
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const send = (slot: number): void => {
        sentAt[slot] = performance.now();
        sent++;
        socket.send(`${slot} ${payload}`);
      };
      socket.on('message', (data) => {
        const text = (data as Buffer).toString('latin1');
        const slot = Number(text.slice(0, text.indexOf(' ')));
        latencies[received++] = performance.now() - (sentAt[slot] ?? 0);
        if (received === requests) resolve();
        else if (sent < requests) send(slot);
      });
      for (let slot = 0; slot < Math.min(inFlight, requests); slot++) send(slot);
    });
    const seconds = (performance.now() - started) / 1000;
    socket.terminate();
    return summarize(latencies, seconds);
  } finally {
    server.stdin?.end();
    killQuietly(server.pid);
    untrack();
  }
}

function summarize(latencies: Float64Array, seconds: number): LatencyFigures {
  const sorted = Float64Array.from(latencies).sort();
  const at = (quantile: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? 0;
  let sum = 0;
  for (const latency of sorted) sum += latency;
  return {
    rps: sorted.length / seconds,
    avg: sum / sorted.length,
    min: sorted[0] ?? 0,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? 0,
  };
}
