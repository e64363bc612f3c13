/**
 * The `ringside p2p` commands on the command line: `init` and `join` (one peer in the
 * foreground, as the classroom's `p2p` program) and `demo` (the spec's reference ring as seven
 * processes). Arguments are checked here, each with a one-line error.
 */
import { CommanderError, type Command } from 'commander';
import { DHT_HOST_DEFAULT, DHT_PORT_BASE_DEFAULT } from '../shared/dht/address-book.ts';
import { p2pDemoCommand, DEMO_PING_INTERVAL_SECONDS } from './commands/p2p-demo.ts';
import { p2pPeerCommand, type P2pOptions } from './commands/p2p.ts';
import { EXIT_USAGE, type CliIo } from './io.ts';
import { parseIdentity, parsePingInterval, parsePortBase, parseTickMs } from './parse.ts';

export function addP2pCommands(program: Command, io: CliIo, setStatus: (status: number) => void): void {
  const p2p = program
    .command('p2p')
    .description('the classroom circular DHT: one peer in the foreground (init, join), or the reference ring (demo)')
    .argument('[what]')
    .allowExcessArguments()
    .action((what?: string) => {
      throw new CommanderError(
        EXIT_USAGE,
        'ringside.usage',
        `error: ${what === undefined ? 'say what to do: ringside p2p init | join | demo (try: ringside p2p --help)' : `unknown p2p command '${what}' (commands: init, join, demo)`}`,
      );
    });

  peerOptions(
    p2p
      .command('init')
      .description('start a founding peer of the ring with its two successors; reads Store NNNN, Request NNNN, Quit')
      .argument('<PEER>', 'this peer: 0-255', parseIdentity)
      .argument('<FIRST_SUCCESSOR>', 'its first successor: 0-255', parseIdentity)
      .argument('<SECOND_SUCCESSOR>', 'its second successor: 0-255', parseIdentity)
      .argument('<PING_INTERVAL>', 'seconds between pings of the successors', parsePingInterval)
      .addHelpText('after', PEER_HELP),
  ).action(async (peer: number, first: number, second: number, interval: number, options: P2pOptions) => {
    setStatus(await p2pPeerCommand({ identity: peer, start: { type: 'dht.init', first, second }, pingIntervalSeconds: interval }, options, io));
  });

  peerOptions(
    p2p
      .command('join')
      .description('join the ring through a peer already in it; reads Store NNNN, Request NNNN, Quit')
      .argument('<PEER>', 'this peer: 0-255', parseIdentity)
      .argument('<KNOWN_PEER>', 'a peer in the ring: 0-255', parseIdentity)
      .argument('<PING_INTERVAL>', 'seconds between pings of the successors', parsePingInterval)
      .addHelpText('after', PEER_HELP),
  ).action(async (peer: number, known: number, interval: number, options: P2pOptions) => {
    setStatus(await p2pPeerCommand({ identity: peer, start: { type: 'dht.join', known }, pingIntervalSeconds: interval }, options, io));
  });

  peerOptions(
    p2p
      .command('demo')
      .description('start the reference ring 2, 4, 5, 8, 9, 14, 19 as seven processes; type "8 Store 2067", "9 Quit", "kill 14", "join 15 4"')
      .option('--interval <seconds>', 'every peer\'s ping interval', parsePingInterval, DEMO_PING_INTERVAL_SECONDS),
  ).action(async (options: P2pOptions & { interval: number }) => {
    setStatus(await p2pDemoCommand(options, io));
  });
}

const PEER_HELP = `
Console lines (the spec's, word for word) go to standard output; notes to standard error.
Quit leaves gracefully (the predecessors are told; exit 0). Ctrl-C or SIGTERM leaves at once,
telling no one, as the classroom's kill. The end of standard input leaves the peer running.
Request NNNN saves the holder's NNNN.<ext> as received_NNNN.<ext> in --dir.`;

function peerOptions(command: Command): Command {
  return command
    .allowExcessArguments(false)
    .option('--host <host>', 'every peer listens on this host', DHT_HOST_DEFAULT)
    .option('--port-base <port>', 'peer i listens on port base + i', parsePortBase, DHT_PORT_BASE_DEFAULT)
    .option('--dir <folder>', 'working folder: files held (NNNN.ext) and received (received_NNNN.ext)', '.')
    .option('--tick-ms <ms>', 'length of one protocol tick', parseTickMs, 100)
    .option('--fingers', 'beyond the classroom: Chord finger tables, so Store and Request take O(log N) hops (every peer of a ring should have it)')
    .option('--secret-file <file>', 'file holding the shared secret (default: RINGSIDE_SECRET; else the ring\'s, recorded for this user by its first peer; else a fresh one)');
}
