/**
 * A circular DHT peer spawned by a cluster manager (the window's backend): it listens with its
 * control endpoint on, prints the ready line on standard output, and waits for `begin`. Its
 * console lines reach the manager as journal events; standard error gets notes only.
 *
 * - A control `leave` is `Quit`: the peer leaves gracefully and exits 0.
 * - SIGTERM or SIGINT leave abruptly, telling no one, as the classroom's kill (exit 143 or 130);
 *   the manager's kill is SIGKILL.
 * - The end of standard input means the manager is gone: the peer quits.
 */
import { statSync } from 'node:fs';
import { formatReadyLine } from '../../shared/protocol/control.ts';
import { explicitSecret, SECRET_ENV, SecretError } from '../secret.ts';
import { listenError } from '../transport.ts';
import { EXIT_PORT_IN_USE, parseDhtLaunch } from './launch.ts';
import { DhtPeerProcess } from './peer-process.ts';
import { exitWithin } from '../parent-gone.ts';

export interface ManagedIo {
  out(text: string): void;
  err(text: string): void;
}

const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

export async function runManagedDhtPeer(args: readonly string[], io: ManagedIo, signals: NodeJS.EventEmitter = process, input: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const parsed = parseDhtLaunch(args);
  if ('problem' in parsed) {
    io.err(`error: ${parsed.problem}\n`);
    return 2;
  }
  const launch = parsed.launch;
  if (!statSync(launch.folder, { throwIfNoEntry: false })?.isDirectory()) {
    io.err(`error: the working folder ${launch.folder} is not a folder\n`);
    return 2;
  }
  const port = launch.portBase + launch.identity;
  const inUse = `port ${port} on ${launch.host} (peer ${launch.identity}'s) is in use`;
  let peer: DhtPeerProcess;
  try {
    peer = await DhtPeerProcess.start({
      identity: launch.identity,
      host: launch.host,
      portBase: launch.portBase,
      tickMs: launch.tickMs,
      config: { pingIntervalTicks: launch.pingIntervalTicks, fingers: launch.fingers },
      secret: managedSecret(),
      folder: launch.folder,
      control: true,
      onLine: () => undefined,
      onNote: (text) => io.err(`${text}\n`),
      describeListenError: (error) =>
        error.code === 'EADDRINUSE' ? inUse : listenError(error, launch.host, port),
    });
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    return (error as Error).message.startsWith(inUse) ? EXIT_PORT_IN_USE : 1;
  }
  io.out(`${formatReadyLine(peer.readyInfo())}\n`);
  return new Promise((resolve) => {
    let status = 0;
    const onSignal = (signal: string): void => {
      status = SIGNAL_EXIT[signal] ?? 1;
      void peer.kill();
    };
    signals.on('SIGINT', onSignal);
    signals.on('SIGTERM', onSignal);
    // The manager is gone (its end of standard input closed): nothing will drive this peer again.
    const parentGone = (): void => {
      if (input === process.stdin) exitWithin();
      peer.quit();
    };
    input.once('end', parentGone);
    input.once('error', parentGone);
    input.resume();
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
    peer.onStopped = (how) => {
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
      if (input === process.stdin) process.stdin.destroy();
      io.err(`peer ${launch.identity} ${how === 'quit' ? 'left the ring' : 'stopped at once'}\n`);
      resolve(status);
    };
  });
}

/** A managed peer's secret comes from its manager, in the environment. */
function managedSecret(): string {
  const given = explicitSecret(undefined);
  if (given === undefined) throw new SecretError(`a managed peer needs its manager's secret in ${SECRET_ENV}`);
  return given.secret;
}
