/**
 * The watchdog: a thread beside the fuzzing loop that sees what the loop cannot, an input that
 * never returns and memory past the limit (libFuzzer's -timeout and -rss_limit_mb). The loop
 * copies each input into shared memory before running it and counts runs; when the count stands
 * still for `hangMs`, or the process's resident memory passes `rssLimitMb`, the watchdog saves
 * the input being run as a `timeout-` or `oom-` finding, prints it and ends the process.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMainThread, Worker, workerData } from 'node:worker_threads';

interface WatchdogData {
  readonly shared: SharedArrayBuffer;
  readonly folder: string;
  readonly root: string;
  readonly hangMs: number;
  readonly rssLimitMb: number;
}

const HEADER_BYTES = 8;

/** The loop's side: starts the thread and gives the hook that shows it each input. */
export function startWatchdog(options: { folder: string; root: string; maxLength: number; hangMs: number; rssLimitMb: number }): {
  onInput: (data: Buffer) => void;
  stop: () => Promise<void>;
} {
  const shared = new SharedArrayBuffer(HEADER_BYTES + options.maxLength);
  const header = new Int32Array(shared, 0, 2);
  const bytes = new Uint8Array(shared, HEADER_BYTES);
  const data: WatchdogData = { shared, folder: options.folder, root: options.root, hangMs: options.hangMs, rssLimitMb: options.rssLimitMb };
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  worker.unref();
  return {
    onInput: (input) => {
      const length = Math.min(input.length, bytes.length);
      bytes.set(input.subarray(0, length));
      Atomics.store(header, 1, length);
      Atomics.add(header, 0, 1);
    },
    stop: async () => {
      await worker.terminate();
    },
  };
}

function watch({ shared, folder, root, hangMs, rssLimitMb }: WatchdogData): void {
  const header = new Int32Array(shared, 0, 2);
  const bytes = new Uint8Array(shared, HEADER_BYTES);
  let seen = Atomics.load(header, 0);
  let since = Date.now();
  const fail = (kind: 'timeout' | 'oom', why: string): void => {
    const input = Buffer.from(bytes.subarray(0, Atomics.load(header, 1)));
    mkdirSync(folder, { recursive: true });
    const path = join(folder, `${kind}-${createHash('sha1').update(input).digest('hex')}`);
    writeFileSync(path, input);
    // Straight to the file descriptor: this thread's process.stdout goes through the loop's
    // thread, which may be the one that hangs.
    writeSync(1, `FUZZ-FINDING ${JSON.stringify({ kind, path: relative(root, path).startsWith('..') ? path : relative(root, path), error: why })}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
  setInterval(() => {
    const count = Atomics.load(header, 0);
    const now = Date.now();
    if (count !== seen) {
      seen = count;
      since = now;
    } else if (count > 0 && now - since > hangMs) {
      fail('timeout', `one input has run for more than ${hangMs} ms`);
    }
    const rssMb = process.memoryUsage.rss() / 1_048_576;
    if (rssMb > rssLimitMb) fail('oom', `the process holds ${Math.round(rssMb)} MB (the limit is ${rssLimitMb} MB)`);
  }, 100);
}

if (!isMainThread && (workerData as WatchdogData | undefined)?.shared instanceof SharedArrayBuffer) watch(workerData as WatchdogData);
