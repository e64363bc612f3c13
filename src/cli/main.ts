/**
 * The `ringside` command line. Every subcommand returns an exit status: 0 success, 1 the run
 * missed its bar (a grade below full marks, a failed expectation), 2 bad usage (a one-line error).
 */
import { Command, CommanderError, Option } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { JournalError } from '../main/cluster/journal.ts';
import { EXPORT_FORMATS, type ExportFormat } from '../shared/journal/session.ts';
import { MEMBERSHIP_PROTOCOLS } from '../shared/membership/types.ts';
import { ScriptError } from '../shared/sim/script.ts';
import { MEMBERSHIP_SCENARIOS } from '../shared/sim/scenarios/classroom-membership.ts';
import { KV_TESTS } from '../shared/sim/scenarios/classroom-kv.ts';
import { gradeAllCommand } from './commands/grade-all.ts';
import { gradeKvCommand } from './commands/grade-kv.ts';
import { gradeMembershipCommand } from './commands/grade-membership.ts';
import { kvCommand, membersCommand } from './commands/client.ts';
import { clusterCommand, serveCommand, type ClusterCommandOptions, type ServeCommandOptions } from './commands/cluster.ts';
import { journalCommand } from './commands/journal.ts';
import { openCommand, type OpenCommandOptions } from './commands/open.ts';
import { peerCommand } from './commands/peer.ts';
import { addP2pCommands } from './p2p-commands.ts';
import { addCheckCommand } from './check-command-line.ts';
import { simCommand } from './commands/sim.ts';
import { checkOutputPath, FileError } from './files.ts';
import { EXIT_OK, EXIT_USAGE, processIo, type CliIo } from './io.ts';
import { parseAddress, parseDelay, parseMegabytes, parsePeerAddress, parsePeerCount, parsePort, parseServePeerCount, parseSeed, parseSeedRange, parseTickMs } from './parse.ts';

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let status = EXIT_OK;
  const program = new Command('ringside')
    .description('Ringside: a lab for gossip and SWIM membership, quorum key-value rings and circular DHTs.')
    .version(packageJson.version)
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  // Commands that only group others answer a missing or unknown subcommand with one line.
  program.argument('[command]').action((name?: string) => {
    usage(name === undefined ? 'a command is missing (try: ringside --help)' : `unknown command '${name}' (commands: grade, sim, check, peer, p2p, cluster, serve, open, put, get, del, members, journal)`);
  });
  const grade = program
    .command('grade')
    .description('run the classroom scenarios in the simulator and grade them with the classroom rules')
    .argument('[what]')
    .action((what?: string) => {
      usage(what === undefined ? 'say what to grade: ringside grade membership | kv | all (try: ringside grade --help)' : `cannot grade '${what}' (can grade: membership, kv, all)`);
    });
  const membership = grade
    .command('membership')
    .description('the membership scenarios: 10 peers, 700 ticks, crashes at tick 100 (90 points in all)')
    .addOption(
      new Option('--scenario <name>', 'one scenario, or all').choices([...MEMBERSHIP_SCENARIOS, 'all']).default('all'),
    )
    .addOption(new Option('--protocol <name>', 'membership protocol').choices([...MEMBERSHIP_PROTOCOLS, 'all']).default('swim'))
    .option('--delay <ticks>', 'add a delay to every message: N or MIN-MAX (uniform) ticks', parseDelay);
  withRunOptions(membership, true).action((options, command: Command) => {
    checkSeedOptions(options, command);
    status = gradeMembershipCommand(options, io);
  });

  const kv = grade
    .command('kv')
    .description('the key-value tests: 100 keys, crashes of replicas, stabilization (90 points in all)')
    .addOption(new Option('--test <name>', 'one test, or all').choices([...KV_TESTS, 'all']).default('all'));
  withRunOptions(kv, true).action((options, command: Command) => {
    checkSeedOptions(options, command);
    status = gradeKvCommand(options, io);
  });

  const all = grade
    .command('all')
    .description('every classroom scenario, membership (both protocols) and key-value, in one table');
  withRunOptions(all, false).action((options, command: Command) => {
    checkSeedOptions(options, command);
    status = gradeAllCommand(options, io);
  });

  program
    .command('sim')
    .description('run a scenario script (see test/scenarios) and print its transcript; - reads standard input')
    .argument('<file>', 'the script')
    .action((file: string) => {
      status = simCommand(file, io);
    });

  program
    .command('peer')
    .description('run one peer in the foreground: membership and the key-value store over WebSockets, with a Redis front')
    .option('--listen <host:port>', 'where peers and control clients connect (port 0: any free port)', parseAddress, { host: '127.0.0.1', port: 0 })
    .option('--join <host:port>', 'a peer to join through (repeat or comma-separate for several); none: start a group', collectAddresses, [])
    .addOption(new Option('--protocol <name>', 'membership protocol').choices([...MEMBERSHIP_PROTOCOLS]).default('swim'))
    .option('--tick-ms <ms>', 'length of one protocol tick', parseTickMs, 100)
    .option('--secret-file <file>', 'file holding the shared secret (default: RINGSIDE_SECRET; else, joining, the secret this user\'s peer recorded; else, on loopback, a fresh one)')
    .option('--advertise <host>', 'the address other peers dial (needed, or guessed from the interfaces, when --listen is 0.0.0.0 or ::)')
    .option('--tls-cert <file>', 'serve peer links over TLS (wss://) with this certificate (PEM); every peer of the group must')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--tls-ca <file>', 'trust this certificate authority when dialing peers (default: --tls-cert itself, for one self-signed certificate)')
    .option('--redis-port <port>', 'port of the Redis-protocol front (0: any free port)', parsePort, 0)
    .option('--redis-host <host>', 'where the Redis-protocol front listens; not loopback: clients must AUTH, with the cluster secret unless a Redis password is given', '127.0.0.1')
    .option('--redis-password-file <file>', 'file holding the password Redis clients send with AUTH (default: RINGSIDE_REDIS_PASSWORD; else none on loopback, the cluster secret elsewhere)')
    .option('--no-redis', 'no Redis-protocol front')
    .option('--seed <text>', 'seed the peer\'s random choices (default: random)')
    .option('--data <dir>', 'keep the store (SQLite) in this folder (default: ringside-data/HOST-PORT here)')
    .option('--memory', 'keep the store in memory only: a restart comes back empty')
    .option('--ring-seed <addresses>', 'the peers a cluster starts with, this one among them (comma-separated): they own keys from the start, with no ring change', collectAddresses, [])
    .addOption(new Option('--quorum <mode>', 'strict: R and W of the key\'s N owners; sloppy: stand-ins for dead owners (hinted handoff)').choices(['strict', 'sloppy']).default('strict'))
    .action(async (options: { listen: { host: string; port: number }; join: string[]; protocol: 'swim' | 'gossip'; tickMs: number; secretFile?: string; advertise?: string; tlsCert?: string; tlsKey?: string; tlsCa?: string; redisPort: number; redisHost: string; redisPasswordFile?: string; redis: boolean; seed?: string; data?: string; memory?: boolean; quorum: 'strict' | 'sloppy'; ringSeed: string[] }) => {
      if (options.data !== undefined && options.memory) usage('--data and --memory contradict each other: choose one');
      const { ringSeed, ...rest } = options;
      status = await peerCommand({ ...rest, ...(ringSeed.length > 0 ? { ringSeed } : {}), redisPort: options.redis ? options.redisPort : false }, io);
    });

  addP2pCommands(program, io, (value) => {
    status = value;
  });
  addCheckCommand(program, io, (value) => {
    status = value;
  });

  const clusterOptions = (command: Command, peers: (text: string) => number = parsePeerCount, peersHelp = 'how many peers to start'): Command =>
    command
      .option('--peers <n>', peersHelp, peers, 5)
      .addOption(new Option('--protocol <name>', 'membership protocol').choices([...MEMBERSHIP_PROTOCOLS]).default('swim'))
      .option('--tick-ms <ms>', 'length of one protocol tick', parseTickMs, 100)
      .option('--journal <file>', 'record the session journal (NDJSON) to this file as it happens')
      .option('--journal-max-mb <mb>', 'with --journal: keep at most this much on disk, in parts (FILE.1, FILE.2, …; the oldest part goes first)', parseMegabytes)
      .option('--journal-window-mb <mb>', 'the journal the manager keeps in memory for the window, at most (default 64)', parseMegabytes)
      .option('--secret-file <file>', 'file holding the shared secret (default: RINGSIDE_SECRET, else a fresh random one, kept 0600 where this user\'s clients find it)')
      .addOption(new Option('--quorum <mode>', 'strict: R and W of the key\'s N owners; sloppy: stand-ins for dead owners (hinted handoff)').choices(['strict', 'sloppy']).default('strict'))
      .option('--data <dir>', 'keep the peers\' stores here, a folder per peer (default: a temporary folder removed when the cluster stops)')
      .option('--memory', 'keep the stores in memory: a restarted peer comes back empty');
  const checkStorage = (options: { data?: string; memory?: boolean; journal?: string; journalMaxMb?: number }): void => {
    if (options.data !== undefined && options.memory) usage('--data and --memory contradict each other: choose one');
    if (options.journalMaxMb !== undefined && options.journal === undefined) usage('--journal-max-mb caps the recorded journal: give --journal FILE too');
  };
  clusterOptions(program.command('cluster').description('start a cluster of real peers in the foreground with a live status; Ctrl-C stops them')).action(
    async (options: ClusterCommandOptions) => {
      if (options.journal !== undefined) checkOutputPath(options.journal, '--journal');
      checkStorage(options);
      status = await clusterCommand(options, io);
    },
  );
  clusterOptions(
    program.command('serve').description('start a cluster and serve the window and the cluster API on 127.0.0.1'),
    parseServePeerCount,
    'how many peers to start (0: none, start them from the window)',
  )
    .option('--port <port>', 'HTTP port (0: any free port)', parsePort, 8080)
    .option('--renderer <dir>', 'serve the window from this build folder (default: out/renderer)')
    .action(async (options: ServeCommandOptions) => {
      if (options.journal !== undefined) checkOutputPath(options.journal, '--journal');
      checkStorage(options);
      status = await serveCommand(options, io);
    });

  program
    .command('open')
    .description('the window in your browser, on a cluster ready to start: builds it if needed, serves it on 127.0.0.1 and opens the address')
    .option('--port <port>', 'HTTP port (0: any free port)', parsePort, 0)
    .option('--peers <n>', 'peers to start at once (0: none, start them from the window)', parseServePeerCount, 0)
    .option('--no-browser', 'print the address only; do not open a browser')
    .option('--check', 'serve, check that the page and the API answer, then stop (for CI)')
    .option('--renderer <dir>', 'serve the window from this build folder (default: out/renderer, built when missing)')
    .action(async (options: OpenCommandOptions) => {
      status = await openCommand({ ...options, check: options.check === true }, io);
    });

  const viaOptions = (command: Command): Command =>
    command
      .requiredOption('--via <host:port>', 'the peer to ask (its WebSocket address, as `ringside cluster` prints it)', parsePeerAddress)
      .option('--secret-file <file>', 'file holding the shared secret (default: RINGSIDE_SECRET, else the one the peer recorded for this user)')
      .option('--tls-ca <file>', 'the peer serves TLS (wss://): trust this certificate authority');
  viaOptions(program.command('put').description('write KEY = VALUE through a peer (a quorum write)').argument('<key>').argument('<value>')).action(
    async (key: string, value: string, options: { via: string; secretFile?: string; tlsCa?: string }) => {
      status = await kvCommand('put', key, value, options, io);
    },
  );
  viaOptions(program.command('get').description('read KEY through a peer (a quorum read); prints the value').argument('<key>')).action(
    async (key: string, options: { via: string; secretFile?: string; tlsCa?: string }) => {
      status = await kvCommand('read', key, undefined, options, io);
    },
  );
  viaOptions(program.command('del').description('delete KEY through a peer (a quorum write)').argument('<key>')).action(async (key: string, options: { via: string; secretFile?: string; tlsCa?: string }) => {
    status = await kvCommand('delete', key, undefined, options, io);
  });
  viaOptions(program.command('members').description('what a peer believes about the group')).action(async (options: { via: string; secretFile?: string; tlsCa?: string }) => {
    status = await membersCommand(options, io);
  });

  program
    .command('journal')
    .description('read a saved session journal (NDJSON) and print or write it as text, dbg.log or ShiViz')
    .argument('<file...>', 'the journal, as `--journal` or an export wrote it; a journal kept in parts: its parts, oldest first (FILE.1 FILE.2 … FILE)')
    .addOption(new Option('--format <format>', 'what to write').choices([...EXPORT_FORMATS]).default('text'))
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (files: string[], options: { format: ExportFormat; out?: string }) => {
      if (options.out !== undefined) checkOutputPath(options.out);
      status = await journalCommand(files, options, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
        return EXIT_OK;
      }
      // Commander has already printed its own errors; ours are printed here.
      if (error.code === 'ringside.usage') io.err(`${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ScriptError || error instanceof FileError || error instanceof JournalError) {
      io.err(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** The options every grading command shares: one seed or a range, and where to write the log. */
function withRunOptions(command: Command, writesLog: boolean): Command {
  command
    .option('--seed <n>', 'root seed of the run', parseSeed, 1)
    .option('--seeds <a-b>', 'sweep a range of seeds and print a summary table', parseSeedRange);
  return writesLog ? command.option('--out <file>', 'write the debug log (dbg.log) of the run') : command;
}

/** --seed or --seeds, not both; --out only for one run, and writable before any work. */
function checkSeedOptions(options: { seeds?: unknown; out?: string }, command: Command): void {
  if (options.seeds !== undefined && options.out !== undefined) usage('--out writes one run; it cannot be used with --seeds');
  if (options.seeds !== undefined && command.getOptionValueSource('seed') === 'cli') {
    usage('--seed runs one seed and --seeds a range: give one of them');
  }
  if (options.out !== undefined) checkOutputPath(options.out);
}

function collectAddresses(text: string, previous: string[]): string[] {
  return [...previous, ...text.split(',').filter((part) => part.trim() !== '').map(parsePeerAddress)];
}

function usage(message: string): never {
  throw new CommanderError(EXIT_USAGE, 'ringside.usage', `error: ${message}`);
}
