/** Reading and writing the files a command names, with errors that name the file and say why. */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A file a command cannot read or write: the message names it and says why, in one line. */
export class FileError extends Error {
  override readonly name = 'FileError';
}

/** Checks, before any work, that `path` can be written: not empty, not a folder, in a folder. */
export function checkOutputPath(path: string, option = '--out'): void {
  if (path.trim() === '') throw new FileError(`${option} needs a file name`);
  const absolute = resolve(path);
  if (existsSync(absolute) && statSync(absolute).isDirectory()) throw new FileError(`${path} is a folder; give a file name such as ${path}/dbg.log`);
  const folder = dirname(absolute);
  if (!existsSync(folder)) throw new FileError(`${path}: the folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new FileError(`${path}: ${folder} is not a folder`);
}

export function writeTextFile(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new FileError(`cannot write ${path}: ${describe(error)}`);
  }
}

/** A file's text; `-` is standard input. */
export function readTextFile(path: string): string {
  if (path !== '-' && existsSync(path) && statSync(path).isDirectory()) throw new FileError(`${path} is a folder, not a script`);
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new FileError(`cannot read ${path}: ${describe(error)}`);
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return code ?? (error as Error).message;
  }
}
