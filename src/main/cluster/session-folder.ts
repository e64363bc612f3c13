/**
 * A session's folder of per-peer folders: the one the session names (kept), or a fresh temporary
 * folder removed when the session ends. The circular DHT's working folders and the key-value
 * peers' data folders are both kept this way.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../peer/secret.ts';

export class SessionFolder {
  readonly #given: string | undefined;
  readonly #prefix: string;
  #root: string | undefined;

  /** `root`: where the folders go (kept); undefined: a temporary folder named `prefix…`, removed by `close`. */
  constructor(root: string | undefined, prefix: string) {
    this.#given = root;
    this.#prefix = prefix;
  }

  /** The root, made on first use. */
  get root(): string {
    if (this.#root === undefined) {
      if (this.#given !== undefined) mkdirSync(this.#given, { recursive: true });
      // The temporary root names this process, so a later session can tell it was left behind.
      this.#root = this.#given ?? mkdtempSync(join(tmpdir(), `${this.#prefix}${process.pid}-`));
    }
    return this.#root;
  }

  /** The folder `name` under the root, made if need be. */
  folder(name: string): string {
    const folder = join(this.root, name);
    mkdirSync(folder, { recursive: true });
    return folder;
  }

  /** Removes a temporary root and everything in it. */
  close(): void {
    if (this.#given === undefined && this.#root !== undefined) rmSync(this.#root, { recursive: true, force: true });
    this.#root = undefined;
  }
}

/**
 * Removes the temporary session folders (`PREFIX<pid>-…` in the temporary folder, this user's)
 * whose process is gone: a session killed before it could remove its own (SIGKILL) leaves them.
 * Returns the folders removed.
 */
export function sweepTemporaryFolders(prefixes: readonly string[]): string[] {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return removed;
  }
  for (const name of names) {
    const prefix = prefixes.find((candidate) => name.startsWith(candidate));
    const pid = prefix === undefined ? undefined : /^(\d+)-/.exec(name.slice(prefix.length))?.[1];
    if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    const path = join(tmpdir(), name);
    try {
      const stat = lstatSync(path);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Gone meanwhile, or not ours to remove.
    }
  }
  return removed;
}

