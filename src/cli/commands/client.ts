/**
 * `ringside put|get|del KEY [VALUE] --via HOST:PORT` and `ringside members --via HOST:PORT`:
 * one request to one peer over its control channel (the cluster's secret is needed, as for
 * `ringside peer`). `get` prints the value alone, for scripts.
 */
import { PeerClient } from '../../main/cluster/peer-client.ts';
import { kvResultSchema, memberViewSchema, type KvResultWire } from '../../shared/protocol/control.ts';
import type { KvOperation } from '../../shared/protocol/kv.ts';
import { dial, HandshakeError } from '../../peer/handshake.ts';
import { clientSecret, generateSecret, SecretError } from '../../peer/secret.ts';
import { readPem } from '../../peer/tls.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

export interface ClientOptions {
  readonly via: string;
  readonly secretFile?: string;
  /** The peer serves TLS: trust this certificate authority (a PEM file). */
  readonly tlsCa?: string | undefined;
}

async function withClient<T>(options: ClientOptions, io: CliIo, use: (client: PeerClient) => Promise<T>): Promise<T | undefined> {
  let client: PeerClient | undefined;
  try {
    let secret: string;
    try {
      secret = clientSecret(options.secretFile, options.via).secret;
    } catch (error) {
      // No secret known: say first whether anything listens there at all (a dial with a
      // throwaway secret fails either way, and tells which).
      if (!(error instanceof SecretError)) throw error;
      await dial(options.via, { secret: generateSecret(), role: 'control', maxPayload: 4096, tls: options.tlsCa === undefined ? undefined : { ca: readPem(options.tlsCa, '--tls-ca') } }).then(
        ({ socket }) => socket.terminate(),
        (failure: unknown) => {
          if (failure instanceof HandshakeError && failure.kind === 'unreachable') throw failure;
        },
      );
      throw error;
    }
    client = await PeerClient.connect(options.via, secret, options.tlsCa === undefined ? undefined : { ca: readPem(options.tlsCa, '--tls-ca') });
    return await use(client);
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    return undefined;
  } finally {
    client?.close();
  }
}

function replicasText(result: KvResultWire): string {
  return result.replicas.map((replica) => `${replica.peer} ${replica.ok === undefined ? 'late' : replica.ok ? 'ok' : 'refused'}`).join(', ');
}

export async function kvCommand(op: KvOperation, key: string, value: string | undefined, options: ClientOptions, io: CliIo): Promise<number> {
  const result = await withClient(options, io, async (client) => kvResultSchema.parse(await client.request({ type: 'kv', op, key, ...(value !== undefined ? { value } : {}) })));
  if (result === undefined) return EXIT_FAILED;
  if (result.ok) {
    if (op === 'read') io.out(`${result.binary ? Buffer.from(result.value ?? '', 'base64').toString('latin1') : (result.value ?? '')}\n`);
    else io.out(`OK: ${op} ${key} (replicas: ${replicasText(result)})\n`);
    return EXIT_OK;
  }
  if (result.reason === 'missing') {
    io.err(`${key}: no such key\n`);
    return EXIT_FAILED;
  }
  io.err(`error: ${op} ${key} failed: ${result.reason ?? 'refused'}${result.replicas.length > 0 ? ` (replicas: ${replicasText(result)})` : ''}\n`);
  return EXIT_FAILED;
}

export async function membersCommand(options: ClientOptions, io: CliIo): Promise<number> {
  const result = await withClient(options, io, async (client) => ({ peer: client.peer, members: memberViewSchema.array().parse(await client.request({ type: 'members' })) }));
  if (result === undefined) return EXIT_FAILED;
  io.out(`what ${result.peer} believes:\n`);
  for (const member of result.members) {
    const version = member.incarnation !== undefined ? `incarnation ${member.incarnation}` : member.heartbeat !== undefined ? `heartbeat ${member.heartbeat}` : '';
    io.out(`  ${member.id.padEnd(21)}  ${member.state.padEnd(7)}  ${version}\n`);
  }
  return EXIT_OK;
}
