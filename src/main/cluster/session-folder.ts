/**
 * A session's folder of per-peer folders: the one the session names (kept), or a fresh temporary
 * folder removed when the session ends. The circular DHT's working folders and the key-value
 * peers' data folders are both kept this way.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
      this.#root = this.#given ?? mkdtempSync(join(tmpdir(), this.#prefix));
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
