/**
 * `ringside peer`: one peer in the foreground. It prints one ready line on standard output
 * (`ringside-peer ready {json}`: id, pid, ports) so a parent can wait for it; log lines go to
 * standard error. SIGTERM, SIGINT or a control `leave` stops it gracefully (exit 0); a second
 * signal stops it at once. It exits 2 on a usage error, 3 when its port is in use, 74 when its
 * store cannot be written.
 */
import { join } from 'node:path';
import type { MembershipProtocol } from '../../shared/membership/types.ts';
import { formatReadyLine } from '../../shared/protocol/control.ts';
import { PeerProcess } from '../../peer/peer.ts';
import { tlsFromFiles } from '../../peer/tls.ts';
import { advertisedHost } from '../../peer/transport.ts';
import { describeRedisPassword, loadRedisPassword, type RedisPassword } from '../../peer/redis-auth.ts';
import { peerRegistryName, peerSecret, registerSecret, SecretError, unregisterSecret } from '../../peer/secret.ts';
import { EXIT_WITH_PARENT_ENV } from '../../main/cluster/spawn.ts';
import { exitWithin } from '../../peer/parent-gone.ts';
import { EXIT_OK, EXIT_USAGE, type CliIo } from '../io.ts';
import { EXIT_PORT_IN_USE } from '../../peer/dht/launch.ts';

/** The store could not be written (EX_IOERR): the peer stopped before acknowledging more. */
export const EXIT_STORE_FAILED = 74;

export interface PeerCommandOptions {
  readonly listen: { host: string; port: number };
  readonly join: readonly string[];
  readonly protocol: MembershipProtocol;
  readonly tickMs: number;
  readonly secretFile?: string;
  readonly redisPort: number | false;
  /** Where the Redis front listens; default 127.0.0.1. */
  readonly redisHost?: string;
  /**
   * The Redis password's file; default RINGSIDE_REDIS_PASSWORD, else none on loopback and the
   * cluster secret elsewhere (`peer/redis-auth.ts`).
   */
  readonly redisPasswordFile?: string;
  readonly seed?: string;
  readonly verbose?: boolean;
  /** The store's folder; default `ringside-data/<host>-<port>` in the current folder. */
  readonly data?: string;
  /** Keep the store in memory (lost when the peer ends). */
  readonly memory?: boolean;
  readonly quorum?: 'strict' | 'sloppy';
  /** The peers a cluster starts with (this one among them): they own keys from the start. */
  readonly ringSeed?: readonly string[];
  /** The address other peers dial, when --listen is 0.0.0.0 or ::. */
  readonly advertise?: string | undefined;
  /** Peer links over TLS: certificate, key and the CA to trust (PEM files). */
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  readonly tlsCa?: string | undefined;
}

/** Records the peer's secret under its address in this user's registry; a failure is said, not fatal. */
function register(id: string, secret: string, io: CliIo): string | undefined {
  try {
    return registerSecret(peerRegistryName(id), secret);
  } catch (error) {
    io.err(`note: cannot record the secret in this user's secret registry (${(error as Error).message}); clients need --secret-file\n`);
    return undefined;
  }
}

/** Where a peer keeps its store when not told: a folder per address under the current one. */
export function defaultDataFolder(id: string): string {
  return join('ringside-data', id.replace(/[^A-Za-z0-9.-]/g, '-'));
}

export async function peerCommand(options: PeerCommandOptions, io: CliIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  let peer: PeerProcess;
  let registered: string | undefined;
  let links: string;
  const redisHost = options.redisHost ?? '127.0.0.1';
  let redisPassword: RedisPassword = { password: undefined, source: 'none' };
  try {
    const { secret, source } = peerSecret({ file: options.secretFile, host: options.listen.host, registryNames: options.join.map(peerRegistryName) });
    if (options.redisPort !== false) redisPassword = loadRedisPassword(options.redisPasswordFile, redisHost, secret);
    const advertise = advertisedHost(options.listen.host, options.advertise);
    const tls = tlsFromFiles({ cert: options.tlsCert, key: options.tlsKey, ca: options.tlsCa });
    links = `${advertise !== options.listen.host ? `listening on ${options.listen.host}, ` : ''}${tls !== undefined ? 'peer links over TLS, ' : ''}`;
    peer = await PeerProcess.start({
      host: options.listen.host,
      port: options.listen.port,
      advertise,
      tls,
      redisPort: options.redisPort === false ? undefined : options.redisPort,
      redisHost,
      redisPassword: redisPassword.password,
      join: options.join,
      protocol: options.protocol,
      tickMs: options.tickMs,
      secret,
      seed: options.seed,
      dataFolder: options.memory ? undefined : (options.data ?? defaultDataFolder),
      ...(options.ringSeed ? { ringSeed: options.ringSeed } : {}),
      ...(options.quorum ? { kv: { quorum: options.quorum } } : {}),
      log: (line) => io.err(`${line}\n`),
    });
    registered = register(peer.id, secret, io);
    if (source === 'generated') io.err(`note: no --secret-file, RINGSIDE_SECRET or peer to join: a fresh secret for this group${registered ? `, kept in ${registered} (only you can read it); peers joining through ${peer.id} and \`ringside get --via ${peer.id}\` find it there` : ''}\n`);
    else if (source === 'registry') io.err(`note: the secret of the peer joined through, found in this user's secret registry\n`);
  } catch (error) {
    if (error instanceof SecretError || error instanceof Error) {
      io.err(`error: ${error.message}\n`);
      // A manager that picked the port tells this apart, and picks another.
      return (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? EXIT_PORT_IN_USE : EXIT_USAGE;
    }
    throw error;
  }
  io.out(`${formatReadyLine(peer.readyInfo())}\n`);
  const inspection = peer.inspect(0);
  io.err(
    `peer ${peer.id} (${links}${options.protocol}, ${options.tickMs} ms ticks, ${inspection.ring?.quorum ?? 'strict'} quorums, store ${options.memory ? 'in memory' : `in ${options.data ?? defaultDataFolder(peer.id)}`}, ${inspection.recordsTotal} keys kept) ${options.join.length > 0 ? `joining through ${options.join.join(', ')}` : 'started a group'}; Redis front ${peer.redis ? `on ${redisHost}:${peer.redis.port} (${describeRedisPassword(redisPassword.source, registered)})` : 'off'}\n`,
  );
  return new Promise((resolve) => {
    let signalled = false;
    const onSignal = (signal: string): void => {
      if (signalled) {
        io.err(`${signal} again: stopping at once\n`);
        void peer.close().then(() => resolve(130));
        return;
      }
      signalled = true;
      io.err(`${signal}: leaving the group\n`);
      void peer.leave();
    };
    signals.on('SIGTERM', onSignal);
    signals.on('SIGINT', onSignal);
    if (process.env[EXIT_WITH_PARENT_ENV] === '1') {
      // Spawned by a cluster manager: when it is gone (its end of standard input closes), leave.
      process.stdout.on('error', () => undefined);
      process.stderr.on('error', () => undefined);
      const parentGone = (): void => {
        exitWithin();
        onSignal('the parent process ended');
      };
      process.stdin.once('end', parentGone);
      process.stdin.once('error', parentGone);
      process.stdin.resume();
    }
    peer.onStopped = () => {
      if (registered !== undefined) unregisterSecret(peerRegistryName(peer.id));
      signals.off('SIGTERM', onSignal);
      signals.off('SIGINT', onSignal);
      process.stdin.destroy();
      if (peer.stoppedBecause !== undefined) {
        io.err(`peer ${peer.id} stopped: ${peer.stoppedBecause}\n`);
        resolve(EXIT_STORE_FAILED);
        return;
      }
      io.err(`peer ${peer.id} stopped\n`);
      resolve(EXIT_OK);
    };
  });
}
