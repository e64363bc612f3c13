/**
 * `ringside p2p init PEER S1 S2 INTERVAL` and `ringside p2p join PEER KNOWN INTERVAL`: one peer of
 * the classroom circular DHT in the foreground, as the classroom's `p2p` program. It reads
 * `Store NNNN`, `Request NNNN` and `Quit` line by line on standard input and prints the spec's
 * console lines on standard output, exactly, one per line; everything else (where it listens,
 * transfer sizes and times, refusals) goes to standard error.
 *
 * - `Quit` leaves gracefully: the predecessors are told, and the peer exits 0 once that has left.
 * - Ctrl-C (SIGINT) or SIGTERM leaves abruptly, telling no one, as the classroom's kill: exit 130
 *   or 143.
 * - The end of standard input does not stop the peer: it keeps running, as a backgrounded process
 *   would, until Quit can no longer be typed and a signal ends it. (A peer spawned by
 *   `ringside p2p demo` stops when its parent goes, so none outlives the demo.)
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { EXIT_WITH_PARENT_ENV } from '../../main/cluster/spawn.ts';
import { DhtPeerProcess } from '../../peer/dht/peer-process.ts';
import { claimSecret, explicitSecret, generateSecret, isLoopback, lookupSecret, SECRET_ENV, SecretError, type Secret } from '../../peer/secret.ts';
import { listenError } from '../../peer/transport.ts';
import { ticksFromSeconds } from '../../shared/dht/config.ts';
import type { DhtCommand } from '../../shared/dht/commands.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../io.ts';

export interface P2pOptions {
  readonly host: string;
  readonly portBase: number;
  /** The working folder: files held (`NNNN.ext`) and received (`received_NNNN.ext`). */
  readonly dir: string;
  readonly tickMs: number;
  readonly secretFile?: string;
  /** Beyond the classroom: Chord finger tables (`DhtConfig.fingers`). Default off. */
  readonly fingers?: boolean;
}

export interface P2pStart {
  readonly identity: number;
  readonly start: Extract<DhtCommand, { type: 'dht.init' | 'dht.join' }>;
  readonly pingIntervalSeconds: number;
}

const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

export async function p2pPeerCommand(
  start: P2pStart,
  options: P2pOptions,
  io: CliIo,
  signals: NodeJS.EventEmitter = process,
  input: NodeJS.ReadableStream = process.stdin,
): Promise<number> {
  const folder = resolve(options.dir);
  if (!isFolder(folder)) {
    io.err(`error: --dir ${options.dir} is not a folder\n`);
    return EXIT_USAGE;
  }
  const withParent = process.env[EXIT_WITH_PARENT_ENV] === '1';
  if (withParent) {
    // The demo reads this peer's output: when it is gone, writes fail; the peer goes too (below).
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
  }
  let peer: DhtPeerProcess;
  try {
    const { secret, source, path } = ringSecret(start, options);
    const port = options.portBase + start.identity;
    peer = await DhtPeerProcess.start({
      identity: start.identity,
      start: start.start,
      host: options.host,
      portBase: options.portBase,
      tickMs: options.tickMs,
      config: { pingIntervalTicks: ticksFromSeconds(start.pingIntervalSeconds, options.tickMs), fingers: options.fingers === true },
      secret,
      folder,
      onLine: (text) => io.out(`${text}\n`),
      onNote: (text) => io.err(`${text}\n`),
      describeListenError: (error) =>
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${options.host} is in use (is peer ${start.identity} running already?): stop that, or give every peer another --port-base`
          : listenError(error, options.host, port, '--port-base'),
    });
    if (source !== 'file' && source !== 'environment' && !withParent) {
      const kept = path !== undefined ? `, kept in ${path} (only you can read it) for the ring's other peers` : ' (not recorded: the ring\'s other peers need it as --secret-file)';
      io.err(source === 'generated' ? `note: no --secret-file or ${SECRET_ENV}: a fresh secret for this ring${kept}\n` : `note: the ring's secret, from this user's secret registry\n`);
    }
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    return error instanceof SecretError ? EXIT_USAGE : EXIT_FAILED;
  }
  io.err(`peer ${start.identity} listening on ${peer.id}: ${describeStart(start)}${options.fingers === true ? ', finger tables on' : ''}; files in ${folder}\n`);
  io.err('type Store NNNN, Request NNNN or Quit; Ctrl-C leaves without telling anyone\n');

  return new Promise((resolveStatus) => {
    let stopped = false;
    const lines = createInterface({ input, crlfDelay: Infinity, terminal: false });
    lines.on('line', (line) => peer.type(line));
    lines.on('close', () => {
      if (stopped) return;
      if (withParent) void peer.kill();
      else io.err(`standard input closed: peer ${start.identity} keeps running; stop it with Ctrl-C or kill ${process.pid}\n`);
    });
    let status = EXIT_OK;
    const onSignal = (signal: string): void => {
      status = SIGNAL_EXIT[signal] ?? EXIT_FAILED;
      void peer.kill();
    };
    signals.on('SIGINT', onSignal);
    signals.on('SIGTERM', onSignal);
    peer.onStopped = (how) => {
      stopped = true;
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
      lines.close();
      if (input === process.stdin) process.stdin.destroy();
      if (how === 'quit') io.err(`peer ${start.identity} left the ring\n`);
      resolveStatus(status);
    };
  });
}

/** This user's registry names a hand-started ring by its host and port base. */
function dhtRegistryName(options: P2pOptions): string {
  return `dht-${options.host}-${options.portBase}`;
}

/**
 * The ring's secret: given, else the one its first peer recorded in this user's registry (a peer
 * joining needs it; the first peer of a ring on loopback makes one), else an error.
 */
function ringSecret(start: P2pStart, options: P2pOptions): Secret {
  const given = explicitSecret(options.secretFile) ?? lookupSecret([dhtRegistryName(options)]);
  if (given !== undefined) return given;
  if (start.start.type === 'dht.join') {
    throw new SecretError(`no secret for the ring on ${options.host} with port base ${options.portBase}: start its first peer on this machine first, or give the ring's secret with --secret-file FILE or ${SECRET_ENV}`);
  }
  if (!isLoopback(options.host)) throw new SecretError(`a peer listening on ${options.host} (not loopback) needs a shared secret: --secret-file FILE or ${SECRET_ENV}`);
  // Peers of a ring started together (each with init) must agree: the first to claim it wins.
  try {
    const claim = claimSecret(dhtRegistryName(options), generateSecret());
    return { secret: claim.secret, source: claim.claimed ? 'generated' : 'registry', path: claim.path };
  } catch {
    return { secret: generateSecret(), source: 'generated' };
  }
}

function describeStart(start: P2pStart): string {
  const interval = `pings every ${start.pingIntervalSeconds} s`;
  return start.start.type === 'dht.init'
    ? `successors ${start.start.first} and ${start.start.second}, ${interval}`
    : `joining through peer ${start.start.known}, ${interval}`;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
