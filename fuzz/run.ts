/**
 * `npm run fuzz`: every fuzz target (or those named) for a time budget each, one process per
 * target, then a summary; exits 1 if any target found something. `--replay` runs the committed
 * corpus only (the regression inputs), once.
 *
 *   npm run fuzz                              all targets, FUZZ_SECONDS (default 20) each
 *   npm run fuzz -- --seconds 300 api-json    one target, five minutes
 *   npm run fuzz -- --replay                  the corpus of every target, once
 *   options: --seed N (default: random, printed), --no-work (neither read nor grow fuzz/.work),
 *            --report FILE (the outcomes as JSON, for test/fuzz/fuzz.test.ts)
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding, FuzzStats } from './engine/fuzzer.ts';

const FUZZ_ROOT = import.meta.dirname;
/** On top of its budget, a target's process gets this long before it is killed as hung. */
const GRACE_MS = 60_000;

export interface RunOptions {
  readonly seconds: number;
  readonly replay: boolean;
  readonly seed: number;
  readonly work: boolean;
  /** Added to the environment of the target's process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Each line a target's process prints (default: to standard output, with the target's name). */
  readonly output?: (target: string, line: string) => void;
}

export interface TargetOutcome {
  readonly target: string;
  readonly ok: boolean;
  /** Fuzzing: the run's figures. */
  readonly stats?: FuzzStats;
  /** Replay: inputs run. */
  readonly inputs?: number;
  readonly finding?: Finding;
  /** Why the run ended without a result (killed, crashed outside the target). */
  readonly problem?: string;
}

/** The targets: `fuzz/targets/<name>.fuzz.ts`. */
export function targetNames(): string[] {
  return readdirSync(join(FUZZ_ROOT, 'targets'))
    .filter((file) => file.endsWith('.fuzz.ts'))
    .map((file) => file.slice(0, -'.fuzz.ts'.length))
    .sort();
}

/** Runs one target (a name in fuzz/targets, or a module's path) in a process of its own. */
export function runTarget(target: string, options: RunOptions): Promise<TargetOutcome> {
  const output = options.output ?? ((name, line) => process.stdout.write(`[${name}] ${line}\n`));
  const args = [
    '--experimental-strip-types',
    '--no-warnings',
    // The V8 heap is capped below the watchdog's limit, so runaway memory is caught either way.
    '--max-old-space-size=1024',
    join(FUZZ_ROOT, 'engine', 'child.ts'),
    target,
    options.replay ? 'replay' : 'fuzz',
    String(options.seconds),
    String(options.seed),
    options.work ? '1' : '0',
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let result: { stats?: FuzzStats; inputs?: number; finding?: Finding } | undefined;
    const limitMs = (options.replay ? 0 : options.seconds * 1000) + GRACE_MS;
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    const lines = (stream: NodeJS.ReadableStream): void => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 1);
          if (line.startsWith('FUZZ-RESULT ')) {
            const parsed = JSON.parse(line.slice('FUZZ-RESULT '.length)) as FuzzStats & { inputs?: number; failure?: Finding };
            result =
              parsed.inputs !== undefined
                ? { inputs: parsed.inputs, ...(parsed.failure ? { finding: parsed.failure } : {}) }
                : { stats: parsed, ...(parsed.finding ? { finding: parsed.finding } : {}) };
          } else if (line.startsWith('FUZZ-FINDING ')) {
            result = { finding: JSON.parse(line.slice('FUZZ-FINDING '.length)) as Finding };
          } else output(target, line);
        }
      });
    };
    lines(child.stdout);
    lines(child.stderr);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (result?.finding !== undefined) resolve({ target, ok: false, ...result });
      else if (result !== undefined && code === 0) resolve({ target, ok: true, ...result });
      else resolve({ target, ok: false, ...result, problem: signal ? `killed by ${signal} (after ${limitMs / 1000} s?)` : `exited ${code} without a result` });
    });
  });
}

/** Runs the targets one after the other (the machine's other cores stay for the other tests). */
export async function runTargets(names: readonly string[], options: RunOptions): Promise<TargetOutcome[]> {
  const outcomes: TargetOutcome[] = [];
  for (const name of names) outcomes.push(await runTarget(name, options));
  return outcomes;
}

/** One line per outcome: its figures, or what it found and where the input is. */
export function describeOutcome(outcome: TargetOutcome): string {
  const figures = outcome.stats
    ? `${outcome.stats.executions} runs in ${outcome.stats.seconds} s, ${outcome.stats.blocks} blocks, ${outcome.stats.features} features, corpus ${outcome.stats.corpus}`
    : outcome.inputs !== undefined
      ? `${outcome.inputs} corpus inputs replayed`
      : '';
  if (outcome.finding) return `${outcome.target}: FOUND ${outcome.finding.kind}, input ${outcome.finding.path}\n${outcome.finding.error}`;
  if (outcome.problem) return `${outcome.target}: FAILED: ${outcome.problem}`;
  return `${outcome.target}: ok, ${figures}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const names: string[] = [];
  let seconds = Number(process.env['FUZZ_SECONDS'] ?? 20);
  let seed = Number(process.env['FUZZ_SEED'] ?? Math.floor(Math.random() * 0x7fff_ffff));
  let replay = false;
  let work = true;
  let report: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === '--seconds') seconds = Number(argv[++index]);
    else if (arg === '--seed') seed = Number(argv[++index]);
    else if (arg === '--replay') replay = true;
    else if (arg === '--no-work') work = false;
    else if (arg === '--report') report = argv[++index];
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else names.push(arg);
  }
  const known = targetNames();
  for (const name of names) if (!known.includes(name) && !name.endsWith('.ts')) throw new Error(`no target ${name} (targets: ${known.join(', ')})`);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('--seconds takes a positive number');
  const chosen = names.length > 0 ? names : known;
  process.stdout.write(replay ? `Replaying the corpus of ${chosen.join(', ')}\n` : `Fuzzing ${chosen.join(', ')} for ${seconds} s each, seed ${seed}\n`);
  const outcomes = await runTargets(chosen, { seconds, replay, seed, work });
  if (report !== undefined) writeFileSync(report, JSON.stringify(outcomes));
  process.stdout.write(`\n${outcomes.map(describeOutcome).join('\n')}\n`);
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  process.stdout.write(`${outcomes.length - failed} passed, ${failed} failed\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
