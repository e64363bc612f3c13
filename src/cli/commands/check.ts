/**
 * `ringside check`: Jepsen's method inside Ringside. A workload of clients reads, writes and
 * deletes a few keys while a seeded nemesis kills, pauses and partitions peers and loses
 * messages; every operation is recorded, and the history is judged: lost writes, values never
 * written, reads of failed writes, stale reads, per-key linearizability, converged replicas.
 *
 * On real peers (default: a fresh cluster of `--peers`, stopped at the end) or in the simulator
 * (`--sim`, exactly reproducible: a sweep `--seeds 1-100` prints the command that replays a
 * failing seed). `--out DIR` keeps the history (JSON), the report, and exports for Knossos,
 * elle-cli and Porcupine. Exit status: 0 when the run kept every guarantee of its quorum mode,
 * 1 when it did not, 3 when no anomaly was found but some key's linearizability is unknown (the
 * search ran out of budget), 2 on a usage error.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterManager } from '../../main/cluster/manager.ts';
import { runRealCheck } from '../../main/check/real-check.ts';
import { givenSecret } from './cluster.ts';
import { formatReport } from '../../shared/check/format-report.ts';
import { historyToJepsenEdn, historyToPorcupineJson, howToCheckExport, KNOSSOS_ALL_KEYS_SCRIPT } from '../../shared/check/history-export.ts';
import { describeSchedule, nemesisSchedule } from '../../shared/check/nemesis.ts';
import { registerHistoryToJson } from '../../shared/check/register-history.ts';
import { replayCommand, verdictOf, type CheckRun, type CheckSpec } from '../../shared/check/run.ts';
import { runSimulatedCheck } from '../../shared/check/sim-check.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

/** No anomaly, but the linearizability search ran out of budget on some key. */
export const EXIT_UNKNOWN = 3;

export interface CheckCommandOptions {
  readonly spec: CheckSpec;
  readonly sim: boolean;
  readonly seeds?: { first: number; last: number };
  readonly out?: string;
  readonly storage?: 'disk' | 'memory';
  readonly secretFile?: string;
}

export async function checkCommand(options: CheckCommandOptions, io: CliIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  if (options.seeds !== undefined) return sweep(options, io);
  const spec = options.spec;
  io.err(`${options.sim ? 'simulated' : 'real'} check, seed ${spec.seed}: ${describeRun(spec, options.sim)}\n`);
  for (const line of describeSchedule(nemesisSchedule(spec.nemesis, spec.peers, spec.workload.durationMs, spec.seed), options.sim)) io.err(`  nemesis ${line}\n`);
  let run: CheckRun;
  if (options.sim) {
    run = runSimulatedCheck(spec);
  } else {
    const manager = new ClusterManager({
      protocol: spec.protocol,
      tickMs: spec.tickMs,
      quorum: spec.quorum,
      messages: false,
      ...(options.storage ? { storage: options.storage } : {}),
      ...givenSecret(options.secretFile),
    });
    const abort = new AbortController();
    const onSignal = (): void => {
      if (abort.signal.aborted) {
        void manager.shutdown({ graceful: false }).then(() => process.exit(130));
        return;
      }
      io.err('\ninterrupted: stopping the workload; healing and judging what ran (again to stop at once)\n');
      abort.abort();
    };
    signals.on('SIGINT', onSignal);
    let lastLine = '';
    try {
      run = await runRealCheck(manager, spec, {
        signal: abort.signal,
        onProgress: (progress) => {
          const line = `  ${Math.round(progress.fraction * 100)} %  ${progress.phase}, ${progress.operations} operations`;
          if (line === lastLine) return;
          lastLine = line;
          if (io.interactive) io.err(`\r\x1b[K${line}`);
        },
      });
    } finally {
      signals.off('SIGINT', onSignal);
      if (io.interactive) io.err('\r\x1b[K');
      await manager.shutdown({ graceful: false }).catch(() => undefined);
    }
  }
  io.out(formatRun(run));
  if (options.out !== undefined) {
    const written = writeRun(options.out, run);
    io.err(`wrote ${written.join(', ')} in ${options.out}\n`);
  }
  return exitStatus(run);
}

function exitStatus(run: CheckRun): number {
  const verdict = verdictOf(run);
  return verdict === 'passed' ? EXIT_OK : verdict === 'failed' ? EXIT_FAILED : EXIT_UNKNOWN;
}

function describeRun(spec: CheckSpec, sim: boolean): string {
  const { workload, nemesis } = spec;
  const mix = `${workload.mix.read}:${workload.mix.write}:${workload.mix.delete}`;
  return (
    `${spec.peers} peers (${spec.protocol}, ${spec.quorum} quorums${spec.readQuorum !== 2 || spec.writeQuorum !== 2 ? ` R = ${spec.readQuorum} W = ${spec.writeQuorum}` : ''}, ${spec.tickMs} ms ticks${sim && spec.clockSkewTicks > 0 ? `, clocks up to ${spec.clockSkewTicks} ticks ahead` : ''}), ` +
    `${workload.clients} clients on ${workload.keys} keys at ${workload.rate} operations/s for ${workload.durationMs / 1000} s (read:write:delete ${mix}); ` +
    `nemesis ${nemesis.kinds.length === 0 ? 'none' : nemesis.kinds.join(', ')} every ${nemesis.intervalMs / 1000} s${nemesis.combined ? ', combined' : ''}`
  );
}

/** The report of one run, as the command prints it. */
export function formatRun(run: CheckRun): string {
  const lines: string[] = [];
  const verdict = verdictOf(run).toUpperCase();
  lines.push(`${verdict}: ${run.driver} run, seed ${run.spec.seed}, ${run.history.operations.length} operations in ${(run.elapsedMs / 1000).toFixed(1)} s${run.driver === 'simulated' ? ' of simulated time' : ''}.`);
  lines.push(`mode: ${run.mode}`);
  lines.push('faults:');
  for (const line of describeSchedule(run.faults, run.driver === 'simulated')) lines.push(`  ${line}`);
  if (run.allowed > 0) lines.push(`${run.allowed} anomal${run.allowed === 1 ? 'y' : 'ies'} below ${run.allowed === 1 ? 'is' : 'are'} what ${run.spec.quorum} quorums allow: listed, not failing the run.`);
  lines.push('');
  lines.push(formatReport(run.report).trimEnd());
  for (const note of run.notes) lines.push(`note: ${note}`);
  if (!run.passed && run.replay !== undefined) lines.push(`replay: ${run.replay}`);
  return `${lines.join('\n')}\n`;
}

async function sweep(options: CheckCommandOptions, io: CliIo): Promise<number> {
  const { first, last } = options.seeds as { first: number; last: number };
  io.out(`simulated checks, seeds ${first}-${last}: ${describeRun(options.spec, true)}\n`);
  io.out(`${'seed'.padStart(8)}  ${'operations'.padStart(10)}  ${'ok'.padStart(6)}  ${'fail'.padStart(6)}  ${'info'.padStart(6)}  anomalies  verdict\n`);
  const failed: number[] = [];
  let unknown = 0;
  let allowed = 0;
  for (let seed = first; seed <= last; seed++) {
    const run = runSimulatedCheck({ ...options.spec, seed });
    const counts = run.report.counts;
    const status = exitStatus(run);
    if (status === EXIT_FAILED) failed.push(seed);
    if (status === EXIT_UNKNOWN) unknown++;
    allowed += run.allowed;
    const verdict = status === EXIT_OK ? 'passed' : status === EXIT_UNKNOWN ? 'unknown' : 'FAILED';
    io.out(`${String(seed).padStart(8)}  ${String(counts.operations).padStart(10)}  ${String(counts.ok).padStart(6)}  ${String(counts.fail).padStart(6)}  ${String(counts.info).padStart(6)}  ${String(run.report.anomalies.length).padStart(9)}  ${verdict}\n`);
  }
  const total = last - first + 1;
  io.out(`\n${total - failed.length - unknown} of ${total} seeds passed${unknown > 0 ? `, ${unknown} unknown` : ''}${failed.length > 0 ? `, ${failed.length} failed` : ''}.${allowed > 0 ? ` ${allowed} anomalies allowed by ${options.spec.quorum} quorums were seen.` : ''}\n`);
  for (const seed of failed.slice(0, 10)) io.out(`replay: ${replayCommand({ ...options.spec, seed })}\n`);
  return failed.length > 0 ? EXIT_FAILED : unknown > 0 ? EXIT_UNKNOWN : EXIT_OK;
}

/** Writes the run's files in `folder`; returns their names. */
function writeRun(folder: string, run: CheckRun): string[] {
  mkdirSync(folder, { recursive: true });
  const files: [string, string][] = [
    ['report.txt', formatRun(run)],
    ['run.json', `${JSON.stringify({ spec: run.spec, driver: run.driver, passed: run.passed, mode: run.mode, faults: run.faults, finalReadIds: run.finalReadIds, stores: run.stores, report: run.report, notes: run.notes }, null, 2)}\n`],
    ['history.json', registerHistoryToJson(run.history)],
    ['history.edn', historyToJepsenEdn(run.history)],
    ['split-by-key.clj', KNOSSOS_ALL_KEYS_SCRIPT],
    ['porcupine.json', historyToPorcupineJson(run.history)],
    ['HOW-TO-CHECK.txt', `${howToCheckExport('jepsen-edn')}\n\n${howToCheckExport('porcupine-json')}\n`],
  ];
  for (const [name, text] of files) writeFileSync(join(folder, name), text);
  return files.map(([name]) => name);
}

