/**
 * The `ringside check` command line: its options, turned into a check spec (validated by the
 * shared schema, so a value out of range gets one line), and the replay command's options.
 */
import { CommanderError, InvalidArgumentError, Option, type Command } from 'commander';
import { NEMESIS_KINDS, type NemesisKind } from '../shared/check/nemesis.ts';
import { checkSpecSchema } from '../shared/check/run.ts';
import { MEMBERSHIP_PROTOCOLS } from '../shared/membership/types.ts';
import { checkCommand } from './commands/check.ts';
import { EXIT_USAGE, type CliIo } from './io.ts';
import { parsePeerCount, parseSeed, parseSeedRange, parseTickMs } from './parse.ts';

interface CheckFlags {
  sim?: boolean;
  seed: number;
  seeds?: { first: number; last: number };
  peers: number;
  protocol: 'gossip' | 'swim';
  quorum: 'strict' | 'sloppy';
  tickMs: number;
  clients: number;
  keys: number;
  rate: number;
  duration: number;
  mix: { read: number; write: number; delete: number };
  valueBytes: number;
  timeout: number;
  nemesis: NemesisKind[];
  interval: number;
  loss: number;
  combined?: boolean;
  skew: number;
  readQuorum: number;
  writeQuorum: number;
  memory?: boolean;
  out?: string;
  secretFile?: string;
}

function wholeNumber(name: string, min: number, max: number): (text: string) => number {
  return (text) => {
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new InvalidArgumentError(`${name} is a whole number from ${min} to ${max}.`);
    return Number(text);
  };
}

function positiveNumber(name: string, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || value <= 0 || value > max) throw new InvalidArgumentError(`${name} is a number above 0 and at most ${max}.`);
    return value;
  };
}

function parseMix(text: string): { read: number; write: number; delete: number } {
  const match = /^(\d+):(\d+):(\d+)$/.exec(text);
  if (match === null || Number(match[1]) + Number(match[2]) + Number(match[3]) === 0) throw new InvalidArgumentError('a mix is READ:WRITE:DELETE weights, such as 50:40:10.');
  return { read: Number(match[1]), write: Number(match[2]), delete: Number(match[3]) };
}

function parseNemesis(text: string): NemesisKind[] {
  if (text === 'none') return [];
  if (text === 'all') return [...NEMESIS_KINDS];
  const kinds = text.split(',').map((part) => part.trim());
  const unknown = kinds.find((kind) => !(NEMESIS_KINDS as readonly string[]).includes(kind));
  if (unknown !== undefined) throw new InvalidArgumentError(`'${unknown}' is not a fault: choose from ${NEMESIS_KINDS.join(', ')}, or all, or none.`);
  return [...new Set(kinds as NemesisKind[])];
}

function parseLoss(text: string): number {
  const value = Number(text);
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(text)) throw new InvalidArgumentError('a loss is a probability from 0 to 1, such as 0.1.');
  return value;
}

export function addCheckCommand(program: Command, io: CliIo, setStatus: (status: number) => void): void {
  program
    .command('check')
    .description('run a workload under a seeded nemesis on real peers (or --sim) and check the history: lost writes, stale reads, linearizability')
    .option('--sim', 'run in the simulator (exactly reproducible from the seed) instead of real processes')
    .option('--seed <n>', 'seeds the workload, the nemesis and the simulation', parseSeed, 1)
    .option('--seeds <a-b>', 'simulated runs for a range of seeds, with a summary and replay commands', parseSeedRange)
    .option('--peers <n>', 'peers in the cluster', parsePeerCount, 5)
    .addOption(new Option('--protocol <name>', 'membership protocol').choices([...MEMBERSHIP_PROTOCOLS]).default('swim'))
    .addOption(new Option('--quorum <mode>', 'strict quorums (judged for every guarantee) or sloppy ones (judged for what they keep)').choices(['strict', 'sloppy']).default('strict'))
    .option('--tick-ms <ms>', 'length of one protocol tick', parseTickMs, 100)
    .option('--clients <n>', 'clients running at once', wholeNumber('--clients', 1, 64), 5)
    .option('--keys <n>', 'keys the clients share', wholeNumber('--keys', 1, 1000), 4)
    .option('--rate <ops>', 'operations per second, all clients together, at most', positiveNumber('--rate', 100_000), 100)
    .option('--duration <s>', 'seconds of workload', positiveNumber('--duration', 86_400), 30)
    .option('--mix <r:w:d>', 'weights of reads, writes and deletes', parseMix, { read: 50, write: 40, delete: 10 })
    .option('--value-bytes <n>', 'size of written values, at least', wholeNumber('--value-bytes', 1, 65_536), 8)
    .option('--timeout <s>', 'seconds a client waits for an answer before its outcome is unknown', positiveNumber('--timeout', 600), 5)
    .option('--nemesis <faults>', `faults: a comma-separated list of ${NEMESIS_KINDS.join(', ')}; or all; or none`, parseNemesis, [...NEMESIS_KINDS])
    .option('--interval <s>', 'seconds of each fault period (and of the quiet period after it)', positiveNumber('--interval', 3600), 5)
    .option('--loss <p>', 'message loss during a loss fault', parseLoss, 0.1)
    .option('--combined', 'two faults of different kinds at once in each period')
    .option('--read-quorum <r>', 'simulated runs: R, of N = 3 (default 2)', wholeNumber('--read-quorum', 1, 3), 2)
    .option('--write-quorum <w>', 'simulated runs: W, of N = 3 (default 2)', wholeNumber('--write-quorum', 1, 3), 2)
    .option('--skew <ticks>', 'simulated runs: each peer\'s clock runs up to this many ticks ahead', wholeNumber('--skew', 0, 10_000), 0)
    .option('--memory', 'real runs: peers keep their stores in memory (a killed peer comes back empty)')
    .option('--out <dir>', 'write the history, the report and exports for Knossos, elle-cli and Porcupine in this folder')
    .option('--secret-file <file>', 'file holding the shared secret (default: RINGSIDE_SECRET, else a fresh random one)')
    .action(async (flags: CheckFlags, command: Command) => {
      if (flags.seeds !== undefined && command.getOptionValueSource('seed') === 'cli') usage('--seed runs one seed and --seeds a range: give one of them');
      if (flags.seeds !== undefined && !flags.sim) usage('--seeds sweeps simulated runs: add --sim (a real run takes its full duration)');
      if (flags.seeds !== undefined && flags.out !== undefined) usage('--out writes one run; it cannot be used with --seeds');
      if (flags.skew > 0 && !flags.sim) usage('--skew is for simulated runs: real peers on one machine share its clock');
      if (flags.memory && flags.sim) usage('--memory is for real runs: simulated peers keep their stores across crashes');
      if ((flags.readQuorum !== 2 || flags.writeQuorum !== 2) && !flags.sim) usage('--read-quorum and --write-quorum are for simulated runs (real peers use R = 2, W = 2)');
      const parsed = checkSpecSchema.safeParse({
        peers: flags.peers,
        protocol: flags.protocol,
        quorum: flags.quorum,
        tickMs: flags.tickMs,
        seed: flags.seed,
        clockSkewTicks: flags.skew,
        readQuorum: flags.readQuorum,
        writeQuorum: flags.writeQuorum,
        workload: {
          clients: flags.clients,
          keys: flags.keys,
          rate: flags.rate,
          durationMs: Math.round(flags.duration * 1000),
          mix: flags.mix,
          valueBytes: flags.valueBytes,
          operationTimeoutMs: Math.round(flags.timeout * 1000),
        },
        nemesis: { kinds: flags.nemesis, intervalMs: Math.round(flags.interval * 1000), loss: flags.loss, combined: flags.combined === true },
      });
      if (!parsed.success) usage(`${parsed.error.issues[0]?.path.join('.') ?? 'check'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      setStatus(
        await checkCommand(
          {
            spec: parsed.data,
            sim: flags.sim === true,
            ...(flags.seeds ? { seeds: flags.seeds } : {}),
            ...(flags.out ? { out: flags.out } : {}),
            ...(flags.memory ? { storage: 'memory' as const } : {}),
            ...(flags.secretFile ? { secretFile: flags.secretFile } : {}),
          },
          io,
        ),
      );
    });
}

function usage(message: string): never {
  throw new CommanderError(EXIT_USAGE, 'ringside.usage', `error: ${message}`);
}
