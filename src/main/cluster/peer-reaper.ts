/**
 * Peers never outlive the process that started them by more than `REAPER_GRACE_MS`, paused or
 * not, however that process ends (SIGKILL included).
 *
 * A running peer leaves by itself when its standard input closes (the manager is gone), but a
 * paused one (SIGSTOP) cannot notice anything, and Linux's parent-death signal is out of Node's
 * reach. So the first spawned peer also starts a reaper: a small Node script (the same runtime,
 * `-e`, so it needs no file of its own in a packaged app), in its own session so a Ctrl-C in the
 * terminal does not take it with the manager. The manager holds the write end of a pipe to its
 * standard input and tells it each peer it spawns (`+ pid identity`) and each that ends
 * (`- pid`). When the pipe closes (the manager died, or exited) the reaper continues every
 * registered peer that is still the same process (SIGCONT, so a paused one can notice and leave),
 * waits up to the grace period for them to go, SIGKILLs those left, removes the manager's record
 * and exits. A reaper that dies while its manager lives is started again (a bounded number of
 * times); one idle for a while (no peer) is asked to exit (`exit`), and another starts with the
 * next peer.
 *
 * Where the reaper cannot do its job (it was killed together with the manager), the record
 * remains: the manager writes one per process into this user's runtime folder
 * (`runtimeFolder()`: the pids, their identities, its own and its reaper's), and the next
 * manager to start ends the peers of records whose manager and reaper are both gone
 * (`orphans.ts`). Windows has no SIGSTOP (a peer cannot be paused) and no process identity here:
 * neither is used there, and peers rely on their standard input alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { runtimeDir } from '../../peer/secret.ts';
import { processState } from './process-identity.ts';

/** How long the reaper waits for continued peers to leave by themselves before SIGKILL. */
export const REAPER_GRACE_MS = 10_000;
/** A reaper with no peer to watch for this long is asked to exit. */
const REAPER_IDLE_MS = 5_000;
/** Reapers started again after dying while their manager lives, per process, at most. */
const REAPER_RESTARTS_MAX = 10;
/** Peers one record holds, at most (a manager starts up to 256 at once; restarts reuse numbers). */
export const RECORD_PEERS_MAX = 4096;

const pidSchema = z.number().int().positive();
const processRecordSchema = z.object({ pid: pidSchema, identity: z.string().min(1).max(200) });
/** What a manager process leaves in the runtime folder while it has peers. */
export const managerRecordSchema = z.object({
  manager: processRecordSchema,
  reaper: processRecordSchema.optional(),
  peers: z.array(processRecordSchema.extend({ label: z.string().max(200) })).max(RECORD_PEERS_MAX),
});
export type ManagerRecord = z.infer<typeof managerRecordSchema>;
/** The records' file names: `manager-<pid>-<random>.json`. */
export const RECORD_FILE = /^manager-\d+-[0-9a-f]+\.json$/;

/**
 * The reaper. Plain JavaScript run with `-e`; argv: grace period (ms), the record to remove.
 * Its `identity` is `process-identity.ts`'s rule, repeated: keep the two in step.
 */
const REAPER_SCRIPT = String.raw`/* ringside: the peer reaper (src/main/cluster/peer-reaper.ts) */
'use strict';
process.title = 'ringside peer reaper';
const fs = require('node:fs');
const childProcess = require('node:child_process');
const graceMs = Number(process.argv[1]) || 10000;
const record = process.argv[2] || '';
const peers = new Map();
let bootId;
function identity(pid) {
  try {
    if (process.platform === 'linux') {
      if (bootId === undefined) bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === undefined || fields[19] === undefined || fields[0] === 'Z' || fields[0] === 'X') return undefined;
      return bootId + ':' + fields[19];
    }
    const line = childProcess.execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const parts = line.split(/\s+/);
    if (parts.length < 2 || parts[0].startsWith('Z')) return undefined;
    return parts.slice(1).join('_');
  } catch {
    return undefined;
  }
}
let reaping = false;
function reap() {
  if (reaping) return;
  reaping = true;
  const targets = [...peers].filter(([pid, id]) => identity(pid) === id);
  for (const [pid] of targets) {
    try { process.kill(pid, 'SIGCONT'); } catch {}
  }
  const deadline = Date.now() + graceMs;
  const poll = () => {
    const left = targets.filter(([pid, id]) => identity(pid) === id);
    if (left.length > 0 && Date.now() < deadline) {
      setTimeout(poll, process.platform === 'linux' ? 100 : 500);
      return;
    }
    for (const [pid] of left) {
      try { process.kill(pid, 'SIGKILL'); } catch {}
    }
    if (record !== '') {
      try { fs.rmSync(record, { force: true }); } catch {}
    }
    process.exit(0);
  };
  poll();
}
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
    const [command, pid, id] = pending.slice(0, end).split(' ');
    pending = pending.slice(end + 1);
    if (command === '+' && id) peers.set(Number(pid), id);
    else if (command === '-') peers.delete(Number(pid));
    else if (command === 'exit') process.exit(0);
  }
  if (pending.length > 65536) pending = '';
});
process.stdin.on('end', reap);
process.stdin.on('close', reap);
process.stdin.on('error', reap);
`;

/**
 * The folder of the managers' records: `managers` in this user's runtime folder (the one the
 * secret registry lives in: `$RINGSIDE_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/ringside`, emptied at
 * boot, else `ringside-<uid>` in the temporary folder); undefined when there is none of ours.
 */
export function runtimeFolder(): string | undefined {
  try {
    return join(runtimeDir(), 'managers');
  } catch {
    return undefined;
  }
}

/**
 * Creates `folder` (mode 0700) if need be; true when it is a real folder of this user. In a shared
 * temporary folder another user could have made it first, or made it a link: then it is not used.
 */
export function privateFolder(folder: string): boolean {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const stat = lstatSync(folder);
    return stat.isDirectory() && !stat.isSymbolicLink() && (process.getuid === undefined || stat.uid === process.getuid());
  } catch {
    return false;
  }
}

/** A guarded peer: `release` once it has exited. */
export interface Guarded {
  readonly relabel: (label: string) => void;
  readonly release: () => void;
}

const UNGUARDED: Guarded = { relabel: () => undefined, release: () => undefined };

class PeerGuard {
  readonly #peers = new Map<number, { identity: string; label: string }>();
  #reaper: { child: ChildProcess; identity: string | undefined } | undefined;
  #reaperStarts = 0;
  #idleTimer: NodeJS.Timeout | undefined;
  /** This process's record; null when there is no private folder to keep it in. */
  #record: string | null | undefined;
  #self: ManagerRecord['manager'] | undefined;

  /** The reaper's pid while one runs. */
  get reaperPid(): number | undefined {
    return this.#reaper?.child.pid;
  }

  /** Where this process's record is (once a peer was guarded), if it keeps one. */
  get recordPath(): string | undefined {
    return this.#record ?? undefined;
  }

  /**
   * Watches the peer process `pid` (just spawned) until `release` is called (it exited). `label`
   * says which peer it is in the record (its address; `relabel` once the peer has said it).
   */
  guard(pid: number | undefined, label: string): Guarded {
    if (pid === undefined || process.platform === 'win32') return UNGUARDED;
    const identity = processState(pid)?.identity;
    if (identity === undefined || this.#peers.size >= RECORD_PEERS_MAX) return UNGUARDED;
    const peer = { identity, label: label.slice(0, 200) };
    this.#peers.set(pid, peer);
    clearTimeout(this.#idleTimer);
    if (this.#reaper === undefined) this.#startReaper();
    else this.#tell(`+ ${pid} ${identity}`);
    this.#writeRecord();
    return {
      relabel: (text) => {
        peer.label = text.slice(0, 200);
        if (this.#peers.get(pid) === peer) this.#writeRecord();
      },
      release: () => {
        if (this.#peers.get(pid) !== peer) return;
        this.#peers.delete(pid);
        this.#tell(`- ${pid}`);
        this.#writeRecord();
        if (this.#peers.size === 0) this.#retireWhenIdle();
      },
    };
  }

  #startReaper(): void {
    if (this.#reaperStarts > REAPER_RESTARTS_MAX) return;
    this.#reaperStarts++;
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['-e', REAPER_SCRIPT, String(REAPER_GRACE_MS), this.#recordPath() ?? ''], {
        // Its own session: a terminal's Ctrl-C or hang-up reaches the manager and the peers, not it.
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
        // Nothing of the manager's environment (its secret among it) but what `ps` needs.
        env: { ELECTRON_RUN_AS_NODE: '1', ...(process.env.PATH !== undefined ? { PATH: process.env.PATH } : {}) },
      });
    } catch {
      return;
    }
    const reaper = { child, identity: child.pid === undefined ? undefined : processState(child.pid)?.identity };
    this.#reaper = reaper;
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    child.once('exit', () => {
      if (this.#reaper !== reaper) return;
      // Killed while this process lives: the peers would be unguarded, so another takes over.
      this.#reaper = undefined;
      if (this.#peers.size > 0) {
        this.#startReaper();
        this.#writeRecord();
      }
    });
    // The reaper must not keep this process alive: it is there for when this process ends.
    child.unref();
    (child.stdin as Socket | null)?.unref();
    for (const [pid, peer] of this.#peers) this.#tell(`+ ${pid} ${peer.identity}`);
  }

  #retireWhenIdle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      const reaper = this.#reaper;
      if (this.#peers.size > 0 || reaper === undefined) return;
      this.#reaper = undefined;
      reaper.child.stdin?.end('exit\n');
    }, REAPER_IDLE_MS);
    this.#idleTimer.unref();
  }

  #tell(line: string): void {
    const stdin = this.#reaper?.child.stdin;
    if (stdin !== null && stdin !== undefined && !stdin.destroyed) stdin.write(`${line}\n`);
  }

  #recordPath(): string | null {
    if (this.#record === undefined) {
      const folder = runtimeFolder();
      this.#record = folder !== undefined && privateFolder(folder) ? join(folder, `manager-${process.pid}-${randomBytes(6).toString('hex')}.json`) : null;
    }
    return this.#record;
  }

  /** The record follows every change, written whole (a new file renamed over the old). */
  #writeRecord(): void {
    const path = this.#recordPath();
    if (path === null) return;
    try {
      if (this.#peers.size === 0) {
        rmSync(path, { force: true });
        return;
      }
      this.#self ??= { pid: process.pid, identity: processState(process.pid)?.identity ?? 'unknown' };
      const reaper = this.#reaper;
      const record: ManagerRecord = {
        manager: this.#self,
        ...(reaper?.child.pid !== undefined && reaper.identity !== undefined ? { reaper: { pid: reaper.child.pid, identity: reaper.identity } } : {}),
        peers: [...this.#peers].map(([pid, peer]) => ({ pid, identity: peer.identity, label: peer.label })),
      };
      writeFileSync(`${path}.new`, `${JSON.stringify(record)}\n`, { mode: 0o600 });
      renameSync(`${path}.new`, path);
    } catch {
      // A full or read-only disk costs the fallback, not the peer: the reaper still guards it.
    }
  }
}

/** This process's guard: one reaper and one record for every manager in it. */
export const peerGuard = new PeerGuard();
