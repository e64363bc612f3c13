/**
 * Real `ringside p2p` peers for tests: each a child process whose console lines (standard output)
 * and notes (standard error) are kept, with ways to type on its console, wait for a line, and stop
 * it. Every peer a test starts is stopped by `stopAll` (SIGKILL), so none outlives the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { freePortBase as freePortBaseOn } from '../../src/main/cluster/dht-ports.ts';

const bin = join(import.meta.dirname, '../../bin/ringside.js');

export class P2pPeer {
  readonly identity: number;
  readonly child: ChildProcess;
  /** Console lines, in order. */
  readonly lines: string[] = [];
  readonly notes: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #waiters = new Set<() => void>();

  constructor(identity: number, args: readonly string[]) {
    this.identity = identity;
    this.child = spawn(process.execPath, [bin, 'p2p', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin?.on('error', () => undefined);
    collectLines(this.child.stdout, (line) => {
      this.lines.push(line);
      for (const waiter of this.#waiters) waiter();
    });
    collectLines(this.child.stderr, (line) => {
      this.notes.push(line);
      for (const waiter of this.#waiters) waiter();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  type(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** The console lines from index `since` on, ping lines left out unless asked for. */
  linesSince(since: number, pings = false): string[] {
    return this.lines.slice(since).filter((line) => pings || !line.startsWith('Ping '));
  }

  /** Resolves once `check` holds (checked at every new line), or rejects after `timeoutMs`. */
  until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        if (!check()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`peer ${this.identity}: no ${what} within ${timeoutMs / 1000} s; it said:\n${this.lines.slice(-40).join('\n')}\nnotes:\n${this.notes.join('\n')}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  /** Resolves once the peer has said `text` (at index `since` or later). */
  said(text: string, since = 0, timeoutMs?: number): Promise<void> {
    return this.until(`"${text}"`, () => this.lines.indexOf(text, since) >= 0, timeoutMs);
  }

  /** Resolves once the peer says it listens. */
  listening(timeoutMs?: number): Promise<void> {
    return this.until('listening note', () => this.notes.some((note) => note.includes(' listening on ')), timeoutMs);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

export function collectLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() as string;
    for (const part of parts) onLine(part);
  });
}

/** A port base whose ports for `identities` are free on 127.0.0.1 now, away from the default 12000. */
export function freePortBase(identities: readonly number[]): Promise<number> {
  return freePortBaseOn('127.0.0.1', identities);
}

/** `expected` appears in `lines` in this order, one right after the other. */
export function inOrder(lines: readonly string[], expected: readonly string[]): boolean {
  const start = lines.indexOf(expected[0] as string);
  return start >= 0 && expected.every((line, index) => lines[start + index] === line);
}

export function sha256Of(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}
