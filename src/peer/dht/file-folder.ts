/**
 * A DHT peer's working folder: where it finds the files it holds (`NNNN` with any extension, as
 * the classroom's `4103.pdf`) and where it saves those it receives (`received_NNNN.ext`). A file
 * being received is written under a hidden temporary name and renamed only when whole, so a
 * `received_` file is never half a file.
 */
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { extensionSchema, folderFileNameSchema } from '../../shared/protocol/dht-transfer.ts';

export interface FolderFile {
  readonly path: string;
  /** What follows the four digits: `.pdf`, or empty. */
  readonly extension: string;
  readonly bytes: number;
}

/**
 * The file named `file` (four digits) with any extension, the first by name when there are
 * several; undefined when there is none. Names whose extension could not travel (spaces, odd
 * characters) and anything that is not a regular file are passed over.
 */
export async function findFile(folder: string, file: string): Promise<FolderFile | undefined> {
  const names = (await readdir(folder)).filter((name) => name === file || name.startsWith(`${file}.`)).sort();
  for (const name of names) {
    const extension = name.slice(file.length);
    if (!extensionSchema.safeParse(extension).success) continue;
    const path = join(folder, name);
    const stats = await stat(path).catch(() => undefined);
    if (stats?.isFile()) return { path, extension, bytes: stats.size };
  }
  return undefined;
}

/** Where a received file is saved once whole. */
export function receivedPath(folder: string, file: string, extension: string): string {
  return join(folder, `received_${file}${extension}`);
}

/** A hidden name in the same folder (so the rename is atomic) for a file still arriving. */
export function temporaryPath(folder: string, file: string, extension: string): string {
  return join(folder, `.received_${file}${extension}.${randomBytes(4).toString('hex')}.part`);
}

/**
 * The folder's entries for an inspection: regular files, sorted by name, at most `entriesMax`;
 * hidden ones (files still arriving) left out. `total` counts them all.
 */
export async function listFolder(folder: string, entriesMax: number): Promise<{ entries: { name: string; bytes: number }[]; total: number }> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((name) => !name.startsWith('.')).sort();
  const entries: { name: string; bytes: number }[] = [];
  let total = 0;
  for (const name of names) {
    const stats = await stat(join(folder, name)).catch(() => undefined);
    if (!stats?.isFile()) continue;
    total++;
    if (entries.length < entriesMax) entries.push({ name, bytes: stats.size });
  }
  return { entries, total };
}

/**
 * The file names (four digits) of the files a peer holds in its folder: `NNNN` with any
 * extension a transfer can carry, as `findFile` finds them for a Request. `received_NNNN.ext`
 * (a copy it asked for), hidden files and odd names are not held.
 */
export function heldInFolder(entries: readonly { name: string }[]): string[] {
  const held = new Set<string>();
  for (const { name } of entries) {
    if (folderFileNameSchema.safeParse(name).success) held.add(name.slice(0, 4));
  }
  return [...held].sort();
}
