/**
 * `ringside cluster` and `ringside serve`: a cluster of real peers in the foreground, with a
 * live status line per peer (cluster) or the web API (serve). Ctrl-C stops every peer
 * gracefully (a second Ctrl-C kills them) and leaves the journal on disk.
 */
import { ClusterManager, type PeerSummary } from '../../main/cluster/manager.ts';
import { ApiServer } from '../../main/server/server.ts';
import type { MembershipProtocol } from '../../shared/membership/types.ts';
import { explicitSecret } from '../../peer/secret.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../io.ts';

export interface ClusterCommandOptions {
  readonly peers: number;
  readonly protocol: MembershipProtocol;
  readonly tickMs: number;
  readonly journal?: string;
  /** With `journal`: keep at most this many MiB on disk, in parts. */
  readonly journalMaxMb?: number;
  /** The journal's memory window, in MiB (default 64). */
  readonly journalWindowMb?: number;
  readonly secretFile?: string;
  readonly quorum?: 'strict' | 'sloppy';
  /** The peers' stores go under this folder (kept); default a temporary one. */
  readonly data?: string;
  readonly memory?: boolean;
}

export interface ServeCommandOptions extends ClusterCommandOptions {
  readonly port: number;
  /** The built window to serve (default: out/renderer). */
  readonly renderer?: string | undefined;
}

/** Starts the manager and its peers; undefined (after printing why) when it cannot. */
async function startCluster(options: ClusterCommandOptions, io: CliIo): Promise<ClusterManager | undefined> {
  let manager: ClusterManager;
  try {
    manager = new ClusterManager({
      protocol: options.protocol,
      tickMs: options.tickMs,
      ...givenSecret(options.secretFile),
      journalPath: options.journal,
      ...(options.journalMaxMb === undefined ? {} : { journalMaxBytes: options.journalMaxMb * 1_048_576 }),
      ...(options.journalWindowMb === undefined ? {} : { journalWindowBytes: options.journalWindowMb * 1_048_576 }),
      ...(options.quorum ? { quorum: options.quorum } : {}),
      ...(options.memory ? { storage: 'memory' as const } : {}),
      ...(options.data ? { dataFolder: options.data } : {}),
    });
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    return undefined;
  }
  const storage = manager.storage;
  io.err(
    `starting ${options.peers} peers (${options.protocol}, ${options.tickMs} ms ticks, ${manager.quorum} quorums, stores ${storage.kind === 'memory' ? 'in memory' : `on disk in ${storage.folder}${options.data === undefined ? ', removed when the cluster stops' : ''}`})…\n`,
  );
  try {
    if (options.peers > 0) await manager.start(options.peers);
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    await manager.shutdown({ graceful: false });
    return undefined;
  }
  io.err(
    manager.secretFile !== undefined
      ? `the cluster's secret: ${manager.secretFile} (only you can read it; \`ringside get --via PEER\` finds it, other programs take --secret-file)\n`
      : `the cluster's secret: the one given (${options.secretFile !== undefined ? options.secretFile : 'RINGSIDE_SECRET'})\n`,
  );
  manager.onPeerDied((peer, reason) => io.err(`peer ${peer.number} (${peer.id}) died unexpectedly: ${reason}\n`));
  return manager;
}

/** A secret given with --secret-file or RINGSIDE_SECRET; otherwise the manager makes a fresh one. */
export function givenSecret(file: string | undefined): { secret?: string } {
  const given = explicitSecret(file);
  return given === undefined ? {} : { secret: given.secret };
}

/** Resolves on the first SIGINT/SIGTERM after stopping every peer; a second one kills them. */
function untilInterrupted(manager: ClusterManager, io: CliIo, signals: NodeJS.EventEmitter): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: string): void => {
      if (stopping) {
        io.err(`${signal} again: killing every peer\n`);
        void manager.shutdown({ graceful: false }).then(() => resolve(130));
        return;
      }
      stopping = true;
      io.err(`\n${signal}: stopping every peer (they leave gracefully; again to kill them)…\n`);
      void manager.shutdown({ timeoutMs: 8000 }).then(() => {
        signals.off('SIGINT', onSignal);
        signals.off('SIGTERM', onSignal);
        io.err(`stopped. ${manager.journal.size} journal entries${manager.journal.path ? ` in ${manager.journal.path}` : ''}${partsNote(manager)}\n`);
        resolve(EXIT_OK);
      });
    };
    signals.on('SIGINT', onSignal);
    signals.on('SIGTERM', onSignal);
  });
}

/** Where a capped journal's parts are, and what rotation dropped: `ringside journal` reads the parts in order. */
function partsNote(manager: ClusterManager): string {
  const recording = manager.journal.recording;
  if (recording === undefined || recording.parts <= 1) return '';
  const dropped = recording.partsDropped > 0 ? `; ${recording.partsDropped} older parts (${recording.entriesDropped} entries) were dropped to stay under ${Math.round((recording.maxBytes ?? 0) / 1_048_576)} MiB` : '';
  return ` and ${recording.parts - 1} earlier parts beside it (${recording.path}.N, oldest first)${dropped}`;
}

export function statusLine(peer: PeerSummary, now: number, extra = ''): string {
  const uptime = peer.state === 'running' ? `${Math.round((now - peer.startedAt) / 1000)} s` : '-';
  return `  ${String(peer.number).padStart(2)}  ${peer.id.padEnd(21)}  ${peer.state.padEnd(8)}  pid ${String(peer.pid ?? '-').padEnd(7)}  redis ${String(peer.redisPort).padEnd(5)}  up ${uptime.padEnd(6)}${extra}`;
}

export async function clusterCommand(options: ClusterCommandOptions, io: CliIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  const manager = await startCluster(options, io);
  if (manager === undefined) return EXIT_FAILED;
  const peers = manager.peers();
  io.out(`Ringside cluster: ${peers.length} peers. Redis ports: ${peers.map((peer) => peer.redisPort).join(', ')}\n`);
  io.out(`  try: redis-cli -p ${peers[0]?.redisPort} SET greeting hello   |   ringside get greeting --via ${peers[0]?.id}\n`);
  io.out(`Press Ctrl-C to stop every peer.\n`);
  let lines = 0;
  const draw = async (): Promise<void> => {
    const views = await manager.views();
    const now = Date.now();
    const text = manager
      .peers()
      .map((peer) => {
        const view = views.get(peer.id);
        const alive = view?.filter((member) => member.state === 'alive').length;
        return statusLine(peer, now, view ? `  sees ${alive}/${view.length} alive` : '');
      })
      .join('\n');
    if (io.interactive) {
      if (lines > 0) io.err(`\u001b[${lines}F\u001b[J`);
      io.err(`${text}\n`);
      lines = text.split('\n').length;
    } else if (text !== lastText) io.err(`${text}\n`);
    lastText = text;
  };
  let lastText = '';
  const timer = setInterval(() => void draw().catch(() => undefined), io.interactive ? 1000 : 5000);
  await draw().catch(() => undefined);
  const status = await untilInterrupted(manager, io, signals);
  clearInterval(timer);
  return status;
}

export async function serveCommand(options: ServeCommandOptions, io: CliIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  const manager = await startCluster(options, io);
  if (manager === undefined) return EXIT_FAILED;
  const server = new ApiServer({ manager, startedAt: Date.now() }, { port: options.port, ...(options.renderer === undefined ? {} : { rendererRoot: options.renderer }) });
  try {
    await server.listen();
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    await manager.shutdown({ graceful: false });
    return EXIT_USAGE;
  }
  io.out(`Ringside serves ${manager.peers().length} peers at ${server.url}\n`);
  io.out(`API: POST ${`http://${server.host}:${server.port}/api?token=${server.token}`} with a JSON command, e.g. {"type":"peers"}\n`);
  const status = await untilInterrupted(manager, io, signals);
  await server.close();
  return status;
}
