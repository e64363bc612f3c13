/**
 * The working folders of a session's circular DHT peers: one per identity (`peer-<identity>`)
 * under one root, so a peer that leaves and comes back finds its files, and a Request saves
 * `received_NNNN.ext` where the window can show it. The root is a fresh temporary folder unless
 * the session names one; a temporary root is removed when the session ends.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { folderFileNameSchema } from '../../shared/protocol/dht-transfer.ts';
import { SessionFolder } from './session-folder.ts';

/** The largest file put in a folder through the API (it travels base64 in one request). */
export const PUT_FILE_BYTES_MAX = 2 * 1_048_576;

export class DhtFolders {
  readonly #folder: SessionFolder;

  /** `root`: where the folders go (kept); undefined: a temporary folder, removed by `close`. */
  constructor(root?: string) {
    this.#folder = new SessionFolder(root, 'ringside-dht-');
  }

  /** The root, made on first use. */
  get root(): string {
    return this.#folder.root;
  }

  /** Peer `identity`'s working folder, made if need be. */
  folderOf(identity: number): string {
    return this.#folder.folder(`peer-${identity}`);
  }

  /** Writes `bytes` as `name` (NNNN.ext) in peer `identity`'s folder, replacing any file of that name. */
  put(identity: number, name: string, bytes: Uint8Array): string {
    folderFileNameSchema.parse(name);
    if (bytes.byteLength > PUT_FILE_BYTES_MAX) throw new RangeError(`a file put through the window is at most ${PUT_FILE_BYTES_MAX} bytes`);
    const path = join(this.folderOf(identity), name);
    writeFileSync(path, bytes, { mode: 0o644 });
    return path;
  }

  /** Removes a temporary root and everything in it. */
  close(): void {
    this.#folder.close();
  }
}

/** The sample a user gets for `NNNN.txt` when they give no content: a few lines that say what it is. */
export function sampleFile(name: string, identity: number): Uint8Array {
  const lines = [`File ${name.slice(0, 4)}, a sample put in peer ${identity}'s folder by Ringside.`, `Stored at the closest successor of ${Number(name.slice(0, 4)) % 256}.`];
  for (let index = 1; index <= 64; index++) lines.push(`line ${index} of the sample: the bytes of the received copy must be the same`);
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}
