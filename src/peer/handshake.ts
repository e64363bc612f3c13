/**
 * The dialing side of the handshake (see `shared/protocol/control.ts`), for peers dialing peers
 * and for control clients alike: wait for the hello, prove the secret, check the welcome.
 */
import { randomBytes } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import { authProof, helloSchema, sameProof, welcomeProof, welcomeSchema, type ConnectionRole } from '../shared/protocol/control.ts';

export const HANDSHAKE_TIMEOUT_MS = 5000;

/**
 * Why a dial failed: the address could not be reached, the peer refused our proof, the other
 * side is not who it should be (or not a Ringside peer), or it took too long.
 */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  readonly kind: 'unreachable' | 'refused' | 'impostor' | 'timeout';
  constructor(message: string, kind: HandshakeError['kind']) {
    super(message);
    this.kind = kind;
  }
}

/** Dialing `wss://`: the certificate authorities to trust (PEM); default: the system's. */
export interface TlsClientOptions {
  readonly ca?: string | undefined;
}

export interface DialOptions {
  readonly secret: string;
  readonly role: ConnectionRole;
  /** A peer says who it is. */
  readonly id?: string | undefined;
  /** The peer id the other side must introduce itself as (a peer dials a peer by its id). */
  readonly expect?: string | undefined;
  readonly maxPayload: number;
  /** Dial `wss://` (the peer serves TLS), trusting `ca`. */
  readonly tls?: TlsClientOptions | undefined;
}

/** Opens an authenticated connection to `address`; resolves with the socket and the peer's id. */
export function dial(address: string, options: DialOptions): Promise<{ socket: WebSocket; peer: string }> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(`${options.tls === undefined ? 'ws' : 'wss'}://${address}/`, {
        perMessageDeflate: false,
        maxPayload: options.maxPayload,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
      });
    } catch (error) {
      reject(new HandshakeError(`cannot reach ${address}: ${(error as Error).message}`, 'unreachable'));
      return;
    }
    const nonce = randomBytes(16).toString('hex');
    let serverNonce = '';
    let peer = '';
    let settled = false;
    const fail = (message: string, kind: HandshakeError['kind']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.terminate();
      reject(new HandshakeError(message, kind));
    };
    const timer = setTimeout(() => fail(`${address} did not finish the handshake within ${HANDSHAKE_TIMEOUT_MS / 1000} s`, 'timeout'), HANDSHAKE_TIMEOUT_MS);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'ECONNREFUSED' ? `nothing listens on ${address} (is the peer running?)` : `cannot reach ${address}: ${error.message}`, 'unreachable');
    });
    socket.on('close', (code) =>
      code === 4001
        ? fail(`${address} refused the secret (is RINGSIDE_SECRET or --secret-file the cluster's?)`, 'refused')
        : fail(`${address} closed the connection during the handshake`, 'unreachable'),
    );
    const onHandshake = (data: RawData, isBinary: boolean): void => {
      let value: unknown;
      try {
        value = isBinary ? undefined : JSON.parse(data.toString());
      } catch {
        value = undefined;
      }
      if (serverNonce === '') {
        const hello = helloSchema.safeParse(value);
        if (!hello.success) return fail(`${address} is not a Ringside peer (no hello)`, 'impostor');
        if (options.expect !== undefined && hello.data.peer !== options.expect) return fail(`${address} answered as ${hello.data.peer}`, 'impostor');
        serverNonce = hello.data.nonce;
        peer = hello.data.peer;
        socket.send(JSON.stringify({ t: 'auth', role: options.role, ...(options.id !== undefined ? { id: options.id } : {}), nonce, proof: authProof(options.secret, serverNonce, nonce, options.role, options.id) }));
        socket.once('message', onHandshake);
        return;
      }
      const welcome = welcomeSchema.safeParse(value);
      if (!welcome.success || !sameProof(welcome.data.proof, welcomeProof(options.secret, serverNonce, nonce, peer))) {
        return fail(`${address} did not prove it knows the secret`, 'impostor');
      }
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('close');
      socket.removeAllListeners('error');
      resolve({ socket, peer });
    };
    socket.once('message', onHandshake);
  });
}
