/**
 * The shared secret peers and control clients prove they know (see the handshake in
 * `shared/protocol/control.ts`): from a file, from RINGSIDE_SECRET, or, for peers that listen on
 * loopback only, a built-in development secret (anyone on this machine could then connect).
 */
import { readFileSync, statSync } from 'node:fs';

export const SECRET_ENV = 'RINGSIDE_SECRET';
export const SECRET_LENGTH_MIN = 16;
/** Loopback without a secret: every Ringside on this machine shares this one. */
export const LOOPBACK_DEFAULT_SECRET = 'ringside-loopback-development-secret';

export class SecretError extends Error {
  override readonly name = 'SecretError';
}

export interface Secret {
  readonly secret: string;
  /** Where it came from, for one log line. */
  readonly source: 'file' | 'environment' | 'loopback default';
}

export function loadSecret(file: string | undefined, host: string, env: NodeJS.ProcessEnv = process.env): Secret {
  if (file !== undefined) {
    let text: string;
    try {
      if (statSync(file).isDirectory()) throw new SecretError(`--secret-file ${file} is a folder, not a file`);
      text = readFileSync(file, 'utf8').trim();
    } catch (error) {
      if (error instanceof SecretError) throw error;
      throw new SecretError(`cannot read the secret file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    return { secret: checked(text, `the secret in ${file}`), source: 'file' };
  }
  const fromEnv = env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { secret: checked(fromEnv, SECRET_ENV), source: 'environment' };
  if (isLoopback(host)) return { secret: LOOPBACK_DEFAULT_SECRET, source: 'loopback default' };
  throw new SecretError(`a peer listening on ${host} (not loopback) needs a shared secret: --secret-file FILE or ${SECRET_ENV}`);
}

function checked(secret: string, what: string): string {
  if (secret.length < SECRET_LENGTH_MIN) throw new SecretError(`${what} is too short: at least ${SECRET_LENGTH_MIN} characters`);
  return secret;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
