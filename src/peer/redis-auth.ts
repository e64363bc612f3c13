/**
 * Who may use the Redis front: Redis 6's `default` user, with a password or without one.
 *
 * The rule (`ringside peer`): a front on loopback needs no password unless one is given; a front
 * on any other address always has one: the one given (`--redis-password-file`, or
 * RINGSIDE_REDIS_PASSWORD), else the cluster secret the peer already holds.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { isLoopback, SecretError } from './secret.ts';

export const REDIS_PASSWORD_ENV = 'RINGSIDE_REDIS_PASSWORD';

export interface RedisPassword {
  /** Undefined: clients need not authenticate (Redis's `nopass`). */
  readonly password: string | undefined;
  /** Where it came from, for the start line (never the password itself). */
  readonly source: 'file' | 'environment' | 'cluster secret' | 'none';
}

export function loadRedisPassword(file: string | undefined, redisHost: string, clusterSecret: string, env: NodeJS.ProcessEnv = process.env): RedisPassword {
  if (file !== undefined) {
    let text: string;
    try {
      if (statSync(file).isDirectory()) throw new SecretError(`--redis-password-file ${file} is a folder, not a file`);
      text = readFileSync(file, 'utf8').trim();
    } catch (error) {
      if (error instanceof SecretError) throw error;
      throw new SecretError(`cannot read the Redis password file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    if (text === '') throw new SecretError(`the Redis password file ${file} is empty`);
    return { password: text, source: 'file' };
  }
  const fromEnv = env[REDIS_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, source: 'environment' };
  if (isLoopback(redisHost)) return { password: undefined, source: 'none' };
  return { password: clusterSecret, source: 'cluster secret' };
}

/** Words for the start line: how clients authenticate. */
export function describeRedisPassword(source: RedisPassword['source'], secretFile?: string): string {
  switch (source) {
    case 'none':
      return 'no password';
    case 'file':
      return 'password from --redis-password-file';
    case 'environment':
      return `password from ${REDIS_PASSWORD_ENV}`;
    case 'cluster secret':
      return `password: the cluster secret, as the front is not on loopback${secretFile === undefined ? '' : ` (in ${secretFile})`}`;
  }
}

/**
 * Whether `given` is the password, in time independent of where they differ and of their
 * lengths: both are hashed first, as Redis does (ACLCheckUserCredentials).
 */
export function passwordMatches(password: string, given: Buffer): boolean {
  const expected = createHash('sha256').update(password, 'utf8').digest();
  return timingSafeEqual(expected, createHash('sha256').update(given).digest());
}
