/**
 * Spawning one peer process: a child of the current runtime (`process.execPath`; inside
 * Electron that binary runs as Node with ELECTRON_RUN_AS_NODE), waiting for its ready line.
 *
 * Peers do not outlive the process that started them, however it ends: a running peer watches
 * its standard input and leaves when it closes (and ends within 12 s even if leaving hangs:
 * `peer/parent-gone.ts`); a paused one cannot notice, so every peer is also registered with this
 * process's reaper (`peer-reaper.ts`), which continues, then kills, those left when this
 * process is gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseReadyLine, type ReadyInfo } from '../../shared/protocol/control.ts';
import { SECRET_ENV } from '../../peer/secret.ts';
import { DHT_LAUNCH_ARGUMENT } from '../../peer/dht/launch.ts';
import { peerGuard } from './peer-reaper.ts';

/** Set for a spawned peer: leave when standard input closes (the parent is gone). */
export const EXIT_WITH_PARENT_ENV = 'RINGSIDE_EXIT_WITH_PARENT';
export const READY_TIMEOUT_MS = 15_000;

export const DEFAULT_PEER_ENTRY = fileURLToPath(new URL('../../cli/peer-process.ts', import.meta.url));

export interface SpawnOptions {
  readonly entry: string;
  readonly args: readonly string[];
  readonly secret: string;
  /** Each line the peer writes on standard error. */
  readonly onStderr: (line: string) => void;
}

export interface SpawnedPeer {
  readonly child: ChildProcess;
  readonly info: ReadyInfo;
}

export class SpawnError extends Error {
  override readonly name = 'SpawnError';
  /** The peer's exit status, when it exited before it was ready. */
  readonly exitCode: number | null;
  constructor(message: string, exitCode: number | null = null) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function spawnPeer(options: SpawnOptions): Promise<SpawnedPeer> {
  const flags = options.entry.endsWith('.ts') && !process.features.typescript ? ['--experimental-strip-types'] : [];
  const child = spawn(process.execPath, [...flags, '--no-warnings', options.entry, ...options.args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, [SECRET_ENV]: options.secret, [EXIT_WITH_PARENT_ENV]: '1', ELECTRON_RUN_AS_NODE: '1' },
  });
  // Guarded from the moment it exists: a peer that hangs before its ready line is a peer too.
  const guarded = peerGuard.guard(child.pid, peerLabel(options.args));
  child.once('exit', guarded.release);
  const stderrTail: string[] = [];
  forEachLine(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 5) stderrTail.shift();
    options.onStderr(line);
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error: SpawnError | undefined, info?: ReadyInfo): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error !== undefined) {
        child.kill('SIGKILL');
        reject(error);
      } else {
        guarded.relabel((info as ReadyInfo).id);
        resolve({ child, info: info as ReadyInfo });
      }
    };
    const timer = setTimeout(() => settle(new SpawnError(`the peer did not say it was ready within ${READY_TIMEOUT_MS / 1000} s${tail(stderrTail)}`)), READY_TIMEOUT_MS);
    child.on('error', (error) => settle(new SpawnError(`cannot start a peer process: ${error.message}`)));
    child.on('exit', (code, signal) => {
      // stderr may still hold the reason: give it a moment to arrive.
      setTimeout(() => settle(new SpawnError(`the peer exited before it was ready (${signal ?? `code ${code}`})${tail(stderrTail)}`, code)), 50);
    });
    forEachLine(child.stdout, (line) => {
      const info = parseReadyLine(line);
      if (info !== undefined) settle(undefined, info);
    });
  });
}

/** Which peer this is, for the reaper's record: its address, or its circular DHT identity. */
function peerLabel(args: readonly string[]): string {
  const listen = args.indexOf('--listen');
  if (listen >= 0 && args[listen + 1] !== undefined) return args[listen + 1] as string;
  if (args[0] === DHT_LAUNCH_ARGUMENT) {
    try {
      const launch = JSON.parse(args[1] ?? '') as { identity?: unknown };
      if (typeof launch.identity === 'number') return `circular DHT peer ${launch.identity}`;
    } catch {
      // Not ours to judge here: the peer refuses a bad launch itself.
    }
  }
  return 'a peer';
}

function tail(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `: ${lines.filter((line) => line.startsWith('error')).at(-1) ?? lines.at(-1)}`;
}

/** Calls `onLine` with each line a stream writes (a line longer than 64 KiB is cut). */
export function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (stream === null) return;
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    let end: number;
    while ((end = partial.indexOf('\n')) >= 0) {
      onLine(partial.slice(0, end));
      partial = partial.slice(end + 1);
    }
    if (partial.length > 65_536) partial = partial.slice(-65_536);
  });
}
