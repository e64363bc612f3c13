/**
 * Child processes of `bench/cluster.ts` and their cleanup. Every process the benchmark starts is
 * registered here and ended on every way out: normal end, error, Ctrl-C, `process.exit`.
 *
 * Programs other than Node (serf, redis-server) run "tethered": under a small shell that kills
 * them when its standard input closes, which happens when the benchmark ends however it ends
 * (even SIGKILL), so no agent outlives the run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { delimiter, join } from 'node:path';
import { forEachLine } from '../src/main/cluster/spawn.ts';

export { forEachLine };

export interface Resource {
  /** Ends it (awaited on a normal exit and on Ctrl-C). */
  close(): Promise<void> | void;
  /** Ends it now, synchronously (from the `exit` handler). */
  killSync(): void;
}

const resources = new Set<Resource>();

/** Registers something to end at exit; the returned function unregisters it. */
export function track(resource: Resource): () => void {
  resources.add(resource);
  return () => resources.delete(resource);
}

/** Ends every registered resource. */
export async function closeAll(): Promise<void> {
  const all = [...resources];
  resources.clear();
  await Promise.allSettled(all.map(async (resource) => resource.close()));
}

process.on('exit', () => {
  for (const resource of resources) {
    try {
      resource.killSync();
    } catch {
      // Already gone.
    }
  }
});

export function killQuietly(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** The path of an executable on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const folder of (process.env['PATH'] ?? '').split(delimiter)) {
    if (folder === '') continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** True while `pid` runs (a zombie, whose sockets are closed, counts as gone). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Resident memory of a process in kB (VmRSS), or undefined once it is gone. */
export function rssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+)\s*kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------------------------------
// CPU accounting: how much of the machine other processes used while the benchmark ran.

/** CPU ticks of tethered programs read just before they were killed (their shells never reap them). */
let tetheredTicks = 0;

function processTicks(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime (fields 14-17): this process and the children it reaped.
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

export interface CpuSnapshot {
  readonly at: number;
  /** Busy ticks of the whole machine. */
  readonly busy: number;
  /** Ticks of this process, its reaped children, and killed tethered programs. */
  readonly ours: number;
}

export function cpuSnapshot(): CpuSnapshot {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return { at: Date.now(), busy: user + nice + system + irq + softirq + steal, ours: processTicks('self') + tetheredTicks };
}

/** The share of the machine (all cores) busy with other processes between two snapshots. */
export function othersShare(from: CpuSnapshot, to: CpuSnapshot, cores: number): number {
  const ticksPerSecond = 100; // USER_HZ
  const capacity = ((to.at - from.at) / 1000) * ticksPerSecond * cores;
  return capacity <= 0 ? 0 : Math.max(0, to.busy - from.busy - (to.ours - from.ours)) / capacity;
}

export interface Tethered {
  /** The program's own pid (not the shell's). */
  readonly pid: number;
  readonly shell: ChildProcess;
  /** SIGKILLs the program and resolves once it is gone (its ports are free). */
  kill(): Promise<void>;
  /** Kills the program (if it runs) and lets the shell go. */
  close(): Promise<void>;
}

const TETHER = '"$@" & echo "tethered-pid $!"; cat >/dev/null; kill -9 $! 2>/dev/null';

/**
 * Starts `command args` under a shell that kills it when the benchmark goes away. `onLine` gets
 * each line the program writes (standard output and error). Resolves once `ready` matches a
 * line; rejects with the program's last lines if it exits or stays silent for `timeoutMs`.
 */
export function spawnTethered(
  command: string,
  args: readonly string[],
  options: { ready: RegExp; timeoutMs?: number; onLine?: (line: string, at: number) => void },
): Promise<Tethered> {
  const shell = spawn('/bin/sh', ['-c', TETHER, 'sh', command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let pid = 0;
  const tail: string[] = [];
  const tethered: Tethered = {
    get pid() {
      return pid;
    },
    shell,
    kill: async () => {
      if (pid !== 0 && running(pid)) tetheredTicks += processTicks(pid);
      killQuietly(pid);
      for (let waited = 0; pid !== 0 && running(pid) && waited < 5000; waited += 10) await sleep(10);
    },
    close: async () => {
      await tethered.kill();
      shell.stdin?.end();
      untrack();
    },
  };
  const untrack = track({
    close: () => tethered.close(),
    killSync: () => {
      killQuietly(pid);
      killQuietly(shell.pid);
    },
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void tethered.close();
      reject(new Error(`${command} ${why}${tail.length > 0 ? `: ${tail.join(' | ')}` : ''}`));
    };
    const timer = setTimeout(() => fail(`did not start within ${(options.timeoutMs ?? 10_000) / 1000} s`), options.timeoutMs ?? 10_000);
    const onLine = (line: string): void => {
      const at = Date.now();
      if (pid === 0) {
        const match = /^tethered-pid (\d+)$/.exec(line);
        if (match !== null) {
          pid = Number(match[1]);
          return;
        }
      }
      if (line.trim() !== '') {
        tail.push(line.trim());
        if (tail.length > 4) tail.shift();
      }
      options.onLine?.(line, at);
      if (!settled && options.ready.test(line)) {
        settled = true;
        clearTimeout(timer);
        resolve(tethered);
      }
    };
    forEachLine(shell.stdout, onLine);
    forEachLine(shell.stderr, onLine);
    shell.on('error', (error) => fail(`could not be started: ${error.message}`));
    shell.on('exit', () => fail('exited'));
    // A program that dies early leaves the shell waiting on its standard input: watch it.
    const watch = setInterval(() => {
      if (settled) clearInterval(watch);
      else if (pid !== 0 && !running(pid)) {
        clearInterval(watch);
        setTimeout(() => fail('exited before it was ready'), 100);
      }
    }, 50);
  });
}

/** A port free for TCP and UDP alike on 127.0.0.1 (Serf binds both), not handed out before. */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    try {
      udp.close();
    } catch {
      // Never bound.
    }
    await new Promise((resolve) => server.close(resolve));
    if (udpFree && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

/** When this benchmark began (ms since the epoch): progress lines count from it. */
export const benchBegan = Date.now();

/** A progress line on standard error, with the seconds since the benchmark began. */
export function progress(text: string): void {
  process.stderr.write(`[${((Date.now() - benchBegan) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);
}

/**
 * On the first SIGINT or SIGTERM, ends every tracked process (at most 10 s) and exits 130; a
 * second signal exits at once.
 */
export function closeAllOnSignals(): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      progress(`${signal}: ending every process this benchmark started…`);
      const deadline = setTimeout(() => process.exit(130), 10_000);
      void closeAll().finally(() => {
        clearTimeout(deadline);
        process.exit(130);
      });
    });
  }
}
