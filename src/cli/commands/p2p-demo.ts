/**
 * `ringside p2p demo`: the spec's reference ring (2 → 4 → 5 → 8 → 9 → 14 → 19 → 2, each started
 * with `p2p init` as the spec has it) as seven child processes, their output interleaved with the
 * peer's name in front of each line (`[peer 8] Store 2067 request forwarded to my successor`).
 * Lines typed here go to one peer (`8 Store 2067`, `9 Quit`) or act on the ring (`kill 14`,
 * `join 15 4`); see `p2p-demo-line.ts`.
 *
 * No child outlives the demo: `exit`, the end of standard input, Ctrl-C and SIGTERM stop them all
 * (SIGTERM, then SIGKILL for any still there after a moment), and each child also stops by itself
 * when the demo's end of its standard input closes, however the demo ends.
 *
 * The ring gets a fresh random secret (unless RINGSIDE_SECRET or --secret-file gives one), so the
 * demo's peers talk only to each other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EXIT_WITH_PARENT_ENV, forEachLine } from '../../main/cluster/spawn.ts';
import { explicitSecret, generateSecret, SECRET_ENV } from '../../peer/secret.ts';
import { EXIT_OK, EXIT_USAGE, type CliIo } from '../io.ts';
import type { P2pOptions } from './p2p.ts';
import { DEMO_HELP, parseDemoLine } from './p2p-demo-line.ts';

/** Short enough to see pings go by, long enough to read them. */
export const DEMO_PING_INTERVAL_SECONDS = 5;

/** The spec's reference ring, each peer with its two successors. */
export const REFERENCE_RING_STARTS: readonly (readonly [number, number, number])[] = [
  [2, 4, 5],
  [4, 5, 8],
  [5, 8, 9],
  [8, 9, 14],
  [9, 14, 19],
  [14, 19, 2],
  [19, 2, 4],
];

const P2P_ENTRY = fileURLToPath(new URL('../p2p-process.ts', import.meta.url));
/** How long the children get to stop on SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;

export interface DemoOptions extends P2pOptions {
  readonly interval: number;
}

export async function p2pDemoCommand(options: DemoOptions, io: CliIo, input: NodeJS.ReadableStream = process.stdin, signals: NodeJS.EventEmitter = process): Promise<number> {
  const folder = resolve(options.dir);
  if (!isFolder(folder)) {
    io.err(`error: --dir ${options.dir} is not a folder\n`);
    return EXIT_USAGE;
  }
  const secret = explicitSecret(options.secretFile)?.secret ?? generateSecret();
  const children = new Map<number, ChildProcess>();

  const startPeer = (peer: number, args: readonly string[]): void => {
    if (children.has(peer)) {
      io.err(`demo: peer ${peer} is running already\n`);
      return;
    }
    const flags = !process.features.typescript ? ['--experimental-strip-types'] : [];
    const commonArgs = ['--host', options.host, '--port-base', String(options.portBase), '--dir', folder, '--tick-ms', String(options.tickMs), ...(options.fingers === true ? ['--fingers'] : [])];
    const child = spawn(process.execPath, [...flags, '--no-warnings', P2P_ENTRY, ...args, String(options.interval), ...commonArgs], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, [SECRET_ENV]: secret, [EXIT_WITH_PARENT_ENV]: '1' },
    });
    children.set(peer, child);
    forEachLine(child.stdout, (line) => io.out(`[peer ${peer}] ${line}\n`));
    forEachLine(child.stderr, (line) => io.err(`[peer ${peer}] ${line}\n`));
    child.stdin?.on('error', () => undefined);
    child.on('error', (error) => io.err(`demo: cannot start peer ${peer}: ${error.message}\n`));
    child.on('exit', (code, signal) => {
      if (children.get(peer) === child) children.delete(peer);
      io.out(`[peer ${peer}] ${describeExit(code, signal)}\n`);
    });
  };

  io.err(
    `demo: the reference ring 2 → 4 → 5 → 8 → 9 → 14 → 19 → 2, pinging every ${options.interval} s, peer i on ${options.host}:${options.portBase} + i, files in ${folder}\n`,
  );
  io.err(`demo: ${DEMO_HELP}\n`);
  for (const [peer, first, second] of REFERENCE_RING_STARTS) startPeer(peer, ['init', String(peer), String(first), String(second)]);

  return new Promise((resolveStatus) => {
    let stopping = false;
    const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
    const stopAll = async (status: number): Promise<void> => {
      if (stopping) return;
      stopping = true;
      lines.close();
      signals.off('SIGINT', onInterrupt);
      signals.off('SIGTERM', onTerminate);
      await stopChildren([...children.values()]);
      if (input === process.stdin) process.stdin.destroy();
      resolveStatus(status);
    };
    const onInterrupt = (): void => void stopAll(130);
    const onTerminate = (): void => void stopAll(143);
    signals.on('SIGINT', onInterrupt);
    signals.on('SIGTERM', onTerminate);
    lines.on('close', () => void stopAll(EXIT_OK));
    lines.on('line', (text) => {
      const line = parseDemoLine(text);
      switch (line.kind) {
        case 'type': {
          const child = children.get(line.peer);
          if (child === undefined) io.err(`demo: peer ${line.peer} is not running (peers: ${running(children)})\n`);
          else child.stdin?.write(`${line.text}\n`);
          return;
        }
        case 'kill': {
          const child = children.get(line.peer);
          if (child === undefined) io.err(`demo: peer ${line.peer} is not running (peers: ${running(children)})\n`);
          else child.kill('SIGINT');
          return;
        }
        case 'join':
          return startPeer(line.peer, ['join', String(line.peer), String(line.known)]);
        case 'init':
          return startPeer(line.peer, ['init', String(line.peer), String(line.first), String(line.second)]);
        case 'peers':
          io.err(`demo: running: ${[...children].sort(([a], [b]) => a - b).map(([peer, child]) => `${peer} (pid ${child.pid})`).join(', ') || 'none'}\n`);
          return;
        case 'help':
          io.err(`demo: ${DEMO_HELP}\n`);
          return;
        case 'exit':
          void stopAll(EXIT_OK);
          return;
        case 'blank':
          return;
        case 'invalid':
          io.err(`demo: ${line.problem}; ${DEMO_HELP}\n`);
          return;
      }
    });
  });
}

/** SIGTERM to each (it leaves at once), SIGKILL to any still there after the grace. */
async function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  const exits = children.map((child) =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((done) => child.once('exit', () => done())),
  );
  for (const child of children) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await Promise.all(exits);
  clearTimeout(timer);
}

/** A p2p peer exits 0 after Quit, 130 on Ctrl-C and 143 on SIGTERM (both abrupt). */
function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (code === 0) return 'exited';
  if (code === 130 || code === 143) return `stopped at once (${code === 130 ? 'SIGINT' : 'SIGTERM'})`;
  return signal !== null ? `stopped (${signal})` : `exited with status ${code}`;
}

function running(children: ReadonlyMap<number, ChildProcess>): string {
  return [...children.keys()].sort((a, b) => a - b).join(', ') || 'none';
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
