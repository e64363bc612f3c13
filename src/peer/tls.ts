/**
 * TLS for peer links (`wss://`): a peer's certificate and key, and the certificate authority
 * that dialers trust, read from PEM files. One self-signed certificate whose names cover every
 * peer's address can serve a whole group: it is then its own authority (the default CA).
 */
import { readFileSync } from 'node:fs';
import type { TransportOptions } from './transport.ts';

export class TlsError extends Error {
  override readonly name = 'TlsError';
}

export function readPem(path: string, option: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TlsError(`cannot read ${option} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}`);
  }
  if (!text.includes('-----BEGIN ')) throw new TlsError(`${option} ${path} is not a PEM file (no -----BEGIN line)`);
  return text;
}

/** The transport's TLS options from the command line's files; undefined when none is given. */
export function tlsFromFiles(files: { cert?: string | undefined; key?: string | undefined; ca?: string | undefined }): TransportOptions['tls'] {
  if (files.cert === undefined && files.key === undefined) {
    if (files.ca !== undefined) throw new TlsError('--tls-ca needs --tls-cert and --tls-key: a peer that dials over TLS serves over TLS too');
    return undefined;
  }
  if (files.cert === undefined || files.key === undefined) throw new TlsError('--tls-cert and --tls-key go together');
  const cert = readPem(files.cert, '--tls-cert');
  return { cert, key: readPem(files.key, '--tls-key'), ca: files.ca === undefined ? cert : readPem(files.ca, '--tls-ca') };
}
