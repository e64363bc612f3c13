/**
 * Real `ringside p2p` peers for `bench/dht.ts`: a ring of N processes on loopback, each started
 * with `p2p init PEER S1 S2 INTERVAL` (as the classroom's reference ring is), its console lines
 * read as they come, with the time each arrived. Lines are typed on a peer's standard input as a
 * student would type them.
 *
 * Every process is registered with `children.ts` (SIGKILL on every way out) and started with
 * RINGSIDE_EXIT_WITH_PARENT, so it also stops by itself when this process's end of its standard
 * input closes, however the benchmark ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_WITH_PARENT_ENV } from '../src/main/cluster/spawn.ts';
import { SECRET_ENV } from '../src/peer/secret.ts';
import { forEachLine, killQuietly, rssKb, running, sleep, track } from './children.ts';
import type { Ring } from './dht-sim.ts';
import { freePortBase } from '../src/main/cluster/dht-ports.ts';

const P2P_ENTRY = fileURLToPath(new URL('../src/cli/p2p-process.ts', import.meta.url));
/**
 * Peers starting at once: starting is CPU work, so more only queue for the same cores, and the
 * fewer start at once, the sooner a peer's successors listen after it does.
 */
const START_CONCURRENCY = 3;
const LISTEN_TIMEOUT_MS = 60_000;

/** Lines that are one hop of a Store or Request (the hop's sender prints them). */
const HOP_LINE = /^(?:Store (\d{4}) request forwarded to |File request for (\d{4}) has been sent to |Request for File (\d{4}) has been received, but the file is not stored here$)/;

export interface Said {
  readonly peer: number;
  readonly text: string;
  /** performance.now() when the line reached this process. */
  readonly at: number;
}

/** CPU ticks (user + system) of a process, or undefined once it is gone. */
export function cpuTicksOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** CPU ticks of every peer process started here, the stopped ones as last read. */
let stoppedTicks = 0;
const live = new Set<RealPeer>();
export function peerCpuTicks(): number {
  let ticks = stoppedTicks;
  for (const peer of live) ticks += peer.cpuTicks();
  return ticks;
}

export class RealPeer {
  readonly identity: number;
  readonly child: ChildProcess;
  first: number;
  second: number;
  listening = false;
  readonly notes: string[] = [];
  readonly exited: Promise<void>;
  #lastTicks = 0;
  readonly #untrack: () => void;

  constructor(identity: number, child: ChildProcess, first: number, second: number) {
    this.identity = identity;
    this.child = child;
    this.first = first;
    this.second = second;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    live.add(this);
    this.#untrack = track({ close: () => this.stop(), killSync: () => killQuietly(child.pid) });
  }

  type(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  cpuTicks(): number {
    this.#lastTicks = cpuTicksOf(this.child.pid) ?? this.#lastTicks;
    return this.#lastTicks;
  }

  rssKb(): number | undefined {
    return rssKb(this.child.pid);
  }

  /** SIGKILL, as the classroom's kill: it tells no one. Returns when the signal was sent. */
  kill(): number {
    this.cpuTicks();
    const at = performance.now();
    killQuietly(this.child.pid, 'SIGKILL');
    return at;
  }

  async stop(): Promise<void> {
    if (!live.has(this)) return;
    this.kill();
    live.delete(this);
    stoppedTicks += this.#lastTicks;
    this.#untrack();
    this.child.stdin?.destroy();
    for (let waited = 0; this.child.pid !== undefined && running(this.child.pid) && waited < 5000; waited += 10) await sleep(10);
  }
}

export interface RingOptions {
  readonly ring: Ring;
  readonly pingIntervalSeconds: number;
  readonly fingers: boolean;
  /** Called with progress notes. */
  readonly progress: (text: string) => void;
}

/**
 * A ring of real peers, started in ascending order, a few at a time: each peer's successors start
 * right after it, so none counts lost pings for long (a peer started with `init` forgives its
 * first round only: its successors must answer within interval + 2 × timeout of its start, which
 * a whole ring of 64 on two busy cores may not manage). The first round's pings mostly go to peers
 * not yet listening: every peer knows its predecessor one interval after the last start.
 */
export class RealRing {
  readonly ring: Ring;
  readonly options: RingOptions;
  readonly folder: string;
  readonly peers = new Map<number, RealPeer>();
  /** Every console line, in the order they reached this process. */
  readonly said: Said[] = [];
  /** Hop lines seen, by file name. */
  readonly hopLines = new Map<string, number>();
  portBase = 0;
  startedAt = 0;
  #removeFolder: () => void = () => undefined;
  readonly #waiters = new Set<(said: Said) => void>();
  readonly #secret = randomBytes(24).toString('hex');

  constructor(options: RingOptions) {
    this.options = options;
    this.ring = options.ring;
    this.folder = mkdtempSync(join(tmpdir(), 'ringside-bench-dht-'));
    const folder = this.folder;
    const untrack = track({ close: () => rmSync(folder, { recursive: true, force: true }), killSync: () => rmSync(folder, { recursive: true, force: true }) });
    this.#removeFolder = () => {
      untrack();
      rmSync(folder, { recursive: true, force: true });
    };
  }

  /** Files `NNNN.bin` of `bytes` bytes in the peers' shared folder, for Request. */
  writeFiles(names: readonly string[], bytes: number): void {
    const content = randomBytes(bytes);
    for (const name of names) writeFileSync(join(this.folder, `${name}.bin`), content);
  }

  /** Starts every peer (ascending identities, a few at a time); resolves once all listen. */
  async start(): Promise<number> {
    this.portBase = await freePortBase('127.0.0.1', this.ring.identities);
    this.startedAt = performance.now();
    const order = [...this.ring.identities];
    let next = 0;
    const startOne = async (): Promise<void> => {
      while (next < order.length) {
        const identity = order[next++] as number;
        await this.#startPeer(identity);
      }
    };
    await Promise.all(Array.from({ length: START_CONCURRENCY }, startOne));
    return performance.now() - this.startedAt;
  }

  #startPeer(identity: number): Promise<void> {
    const first = this.ring.at(identity, 1);
    const second = this.ring.at(identity, 2);
    const flags = process.features.typescript ? [] : ['--experimental-strip-types'];
    const args = [...flags, '--no-warnings', P2P_ENTRY, 'init', String(identity), String(first), String(second), String(this.options.pingIntervalSeconds), '--port-base', String(this.portBase), '--dir', this.folder];
    if (this.options.fingers) args.push('--fingers');
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, [SECRET_ENV]: this.#secret, [EXIT_WITH_PARENT_ENV]: '1' } });
    child.stdin?.on('error', () => undefined);
    const peer = new RealPeer(identity, child, first, second);
    this.peers.set(identity, peer);
    forEachLine(child.stdout, (text) => this.#line(peer, text));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`peer ${identity} did not listen within ${LISTEN_TIMEOUT_MS / 1000} s: ${peer.notes.slice(-3).join(' | ')}`)), LISTEN_TIMEOUT_MS);
      forEachLine(child.stderr, (note) => {
        peer.notes.push(note);
        if (peer.notes.length > 50) peer.notes.shift();
        if (!peer.listening && note.includes(' listening on ')) {
          peer.listening = true;
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!peer.listening) reject(new Error(`peer ${identity} exited (${signal ?? code}) before it listened: ${peer.notes.slice(-3).join(' | ')}`));
      });
    });
  }

  #line(peer: RealPeer, text: string): void {
    const said: Said = { peer: peer.identity, text, at: performance.now() };
    // Ping lines are most of what peers say: kept only as far as readiness needs them.
    if (!text.startsWith('Ping ') || text.startsWith('Ping request message received')) this.said.push(said);
    const hop = HOP_LINE.exec(text);
    if (hop !== null) {
      const file = (hop[1] ?? hop[2] ?? hop[3]) as string;
      this.hopLines.set(file, (this.hopLines.get(file) ?? 0) + 1);
    }
    const first = /^My (?:new )?first successor is Peer (\d+)$/.exec(text);
    if (first !== null) peer.first = Number(first[1]);
    const second = /^My (?:new )?second successor is Peer (\d+)$/.exec(text);
    if (second !== null) peer.second = Number(second[1]);
    for (const waiter of this.#waiters) waiter(said);
  }

  /** Resolves with the first line (from now on) that `match` accepts, or undefined after `timeoutMs`. */
  next(match: (said: Said) => boolean, timeoutMs: number): Promise<Said | undefined> {
    return new Promise((resolve) => {
      const waiter = (said: Said): void => {
        if (!match(said)) return;
        done(said);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (said: Said | undefined): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(said);
      };
      this.#waiters.add(waiter);
    });
  }

  /** Resolves once `check` holds (looked at on every line and every 200 ms), or false after `timeoutMs`. */
  async until(check: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!check()) {
      if (performance.now() >= deadline) return false;
      await this.next(() => check(), Math.min(200, deadline - performance.now()));
    }
    return true;
  }

  /** The peers that have not yet heard a ping from their predecessor (so do not know what they own). */
  notReady(): number[] {
    const heard = new Set<string>();
    for (const said of this.said) if (said.text.startsWith('Ping request message received from Peer ')) heard.add(`${said.peer} ${said.text.slice(40)}`);
    return this.ring.identities.filter((identity) => !heard.has(`${identity} ${this.ring.at(identity, -1)}`));
  }

  /** `Peer X is no longer alive` lines so far. */
  declarations(): { peer: number; subject: number; at: number }[] {
    return this.said.flatMap((said) => {
      const match = /^Peer (\d+) is no longer alive$/.exec(said.text);
      return match === null ? [] : [{ peer: said.peer, subject: Number(match[1]), at: said.at }];
    });
  }

  /** Running peers whose successors (as their lines tell) are not the next two of `ring`. */
  wrongSuccessors(ring: Ring): number[] {
    return ring.identities.filter((identity) => {
      const peer = this.peers.get(identity);
      return peer === undefined || peer.first !== ring.at(identity, 1) || peer.second !== ring.at(identity, 2);
    });
  }

  rssKb(): number[] {
    return [...this.peers.values()].flatMap((peer) => peer.rssKb() ?? []);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.peers.values()].map((peer) => peer.stop()));
    this.#removeFolder();
  }
}

/** A port base whose ports for `identities` are free on 127.0.0.1 now, below the ephemeral ports and away from 12000. */
