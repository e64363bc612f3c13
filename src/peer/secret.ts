/**
 * The shared secret peers and control clients prove they know (see the handshake in
 * `shared/protocol/control.ts`). There is no public default: a secret comes from a file
 * (`--secret-file`), from RINGSIDE_SECRET, or from this user's **secret registry**, a folder
 * only this user can read (mode 0700; each file 0600):
 *
 *   $RINGSIDE_RUNTIME_DIR, else $XDG_RUNTIME_DIR/ringside, else <tmpdir>/ringside-<uid>
 *
 * Every peer records the secret it runs with there, under its address (`peer-HOST_PORT.secret`),
 * and removes it when it stops; a cluster manager keeps its session's secret there too. So on
 * this machine `ringside get --via ADDRESS`, or a peer started by hand with `--join ADDRESS`,
 * finds the secret of the peer it names, and another user's programs cannot. A peer started by
 * hand on loopback with no secret and nothing to join makes a fresh random one (and says so);
 * a peer listening on any other address needs one given explicitly.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SECRET_ENV = 'RINGSIDE_SECRET';
/** Overrides where this user's secret registry lives (tests use a folder of their own). */
export const RUNTIME_DIR_ENV = 'RINGSIDE_RUNTIME_DIR';
export const SECRET_LENGTH_MIN = 16;

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

export interface Secret {
  readonly secret: string;
  /** Where it came from, for one log line. */
  readonly source: 'file' | 'environment' | 'registry' | 'generated';
  /** The file it came from or was kept in, if any. */
  readonly path?: string | undefined;
}

/** A fresh random secret: 192 bits, hex. */
export function generateSecret(): string {
  return randomBytes(24).toString('hex');
}

/** This user's secret registry, made (0700) if need be; refused if someone else could read it. */
export function runtimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const xdg = env['XDG_RUNTIME_DIR'];
  const dir = env[RUNTIME_DIR_ENV] || (xdg ? join(xdg, 'ringside') : join(tmpdir(), `ringside-${uid ?? 'user'}`));
  let made: string | undefined;
  try {
    made = mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new SecretError(`cannot make the secret registry ${dir}: ${(error as Error).message}`);
  }
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new SecretError(`the secret registry ${dir} is not a folder`);
  if (uid !== undefined && stat.uid !== uid) throw new SecretError(`the secret registry ${dir} belongs to another user: set ${RUNTIME_DIR_ENV} to a folder of yours`);
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    // A folder we just made (the umask can only take bits away) is tightened; one that was
    // there is the user's: say so rather than change it.
    if (made === undefined) throw new SecretError(`the secret registry ${dir} can be read by others (mode ${(stat.mode & 0o777).toString(8)}): chmod 700 it, or set ${RUNTIME_DIR_ENV} to a private folder`);
    chmodSync(dir, 0o700);
  }
  return dir;
}

/** Writes `secret` to `path`, readable by this user only (0600), replacing what was there. */
export function writeSecretFile(path: string, secret: string, pid?: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, `${secret}\n${pid === undefined ? '' : `pid ${pid}\n`}`);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Reads a secret file: its first line, trimmed, long enough. */
export function readSecretFile(path: string, option = '--secret-file'): string {
  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new SecretError(`${option} ${path} is a folder, not a file`);
    // The first line: a registry record's next line names its process.
    text = (readFileSync(path, 'utf8').split('\n')[0] ?? '').trim();
  } catch (error) {
    if (error instanceof SecretError) throw error;
    throw new SecretError(`cannot read the secret file ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return checked(text, `the secret in ${path}`);
}

/** The registry file of one peer address (`HOST:PORT`, `[v6]:PORT`) or any other name. */
export function registryPath(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(runtimeDir(env), `${name.replace(/[^A-Za-z0-9.-]/g, '_')}.secret`);
}

export function peerRegistryName(address: string): string {
  return `peer-${address}`;
}

/**
 * Records the secret that a process (`pid`, default this one; null: no one process, such as a
 * DHT ring's) runs with under `name`; returns the file. The file names its process, so that a
 * record left by one that died is ignored and removed.
 */
export function registerSecret(name: string, secret: string, env: NodeJS.ProcessEnv = process.env, pid: number | null = process.pid): string {
  const path = registryPath(name, env);
  writeSecretFile(path, secret, pid ?? undefined);
  return path;
}

/**
 * Records `secret` under `name` unless a record is there already (another process claimed it
 * first, or earlier): returns the secret the registry holds, so processes that start together
 * agree on one. The record names no process.
 */
export function claimSecret(name: string, secret: string, env: NodeJS.ProcessEnv = process.env): { secret: string; path: string; claimed: boolean } {
  const path = registryPath(name, env);
  const temporary = `${path}.${process.pid}.claim`;
  writeSecretFile(temporary, secret);
  try {
    linkSync(temporary, path);
    return { secret, path, claimed: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { secret: readSecretFile(path), path, claimed: false };
  } finally {
    unlinkSync(temporary);
  }
}

/** A registry record: the secret, and the process it belongs to (if named). */
function readRecord(path: string): { secret: string; pid: number | undefined } {
  const [first = '', ...rest] = readFileSync(path, 'utf8').split('\n');
  const pid = rest.map((line) => /^pid (\d+)$/.exec(line.trim())?.[1]).find((value) => value !== undefined);
  return { secret: checked(first.trim(), `the secret in ${path}`), pid: pid === undefined ? undefined : Number(pid) };
}

/** Removes the registry records of processes that are gone; returns how many. */
export function sweepRegistry(env: NodeJS.ProcessEnv = process.env): number {
  let dir: string;
  let names: string[];
  try {
    dir = runtimeDir(env);
    names = readdirSync(dir).filter((name) => name.endsWith('.secret'));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    try {
      const record = readRecord(join(dir, name));
      if (record.pid === undefined || processAlive(record.pid)) continue;
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // Unreadable or gone meanwhile: left alone.
    }
  }
  return removed;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function unregisterSecret(name: string, env: NodeJS.ProcessEnv = process.env): void {
  try {
    unlinkSync(registryPath(name, env));
  } catch {
    // Gone already, or no registry: nothing to remove.
  }
}

/** The registered secret of the first of `names` that has one. */
export function lookupSecret(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Secret | undefined {
  for (const name of names) {
    let path: string;
    try {
      path = registryPath(name, env);
    } catch {
      return undefined;
    }
    try {
      const record = readRecord(path);
      if (record.pid !== undefined && !processAlive(record.pid)) {
        // Left by a process that died (killed before it could remove it): not a secret anyone runs with.
        unlinkSync(path);
        continue;
      }
      return { secret: record.secret, source: 'registry', path };
    } catch {
      // Not registered (or unreadable): try the next.
    }
  }
  return undefined;
}

/** An explicit secret: the file, else the environment. */
export function explicitSecret(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Secret | undefined {
  if (file !== undefined) return { secret: readSecretFile(file), source: 'file', path: file };
  const fromEnv = env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { secret: checked(fromEnv, SECRET_ENV), source: 'environment' };
  return undefined;
}

/**
 * A peer's secret: given (file, environment), else the registered secret of a peer it joins
 * through (`registryNames`; none registered is an error), else, starting a group on loopback,
 * a fresh random one.
 */
export function peerSecret(options: { file?: string | undefined; host: string; registryNames?: readonly string[] }, env: NodeJS.ProcessEnv = process.env): Secret {
  const names = options.registryNames ?? [];
  const given = explicitSecret(options.file, env) ?? lookupSecret(names, env);
  if (given !== undefined) return given;
  if (names.length > 0) {
    throw new SecretError(`no secret for the group to join: none of its peers is registered in this user's secret registry; give the group's secret with --secret-file FILE or ${SECRET_ENV}`);
  }
  if (isLoopback(options.host)) return { secret: generateSecret(), source: 'generated' };
  throw new SecretError(`a peer listening on ${options.host} (not loopback) needs a shared secret: --secret-file FILE or ${SECRET_ENV}`);
}

/** A control client's secret for the peer at `address`: given, else registered, else a clear error. */
export function clientSecret(file: string | undefined, address: string, env: NodeJS.ProcessEnv = process.env): Secret {
  const secret = explicitSecret(file, env) ?? lookupSecret([peerRegistryName(address)], env);
  if (secret !== undefined) return secret;
  throw new SecretError(
    `no secret for ${address}: no peer of yours on this machine registered one; give the cluster's secret with --secret-file FILE or ${SECRET_ENV} (\`ringside cluster\` and \`ringside serve\` print where theirs is)`,
  );
}

function checked(secret: string, what: string): string {
  if (secret.length < SECRET_LENGTH_MIN) throw new SecretError(`${what} is too short: at least ${SECRET_LENGTH_MIN} characters`);
  return secret;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
