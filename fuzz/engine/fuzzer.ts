/**
 * The fuzzing loop: coverage-guided, in the style of libFuzzer, with V8's own block coverage as
 * the feedback (`coverage.ts`).
 *
 * Seeds are run first, each alone; then mutants of the corpus run in batches, with coverage
 * taken once per batch (taking it walks V8's heap: a few milliseconds, against tens of
 * microseconds for a parser run). A batch that shows a new block is run again by halves down to
 * the inputs that bring it, and each input with new features joins the corpus (and the work
 * folder, so the next local run starts from it). An input whose run throws, runs
 * too long, or (in `watchdog.ts`) hangs or takes the process past its memory limit is a finding:
 * saved as `<kind>-<sha1>` in the target's corpus folder and reported with its stack.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Coverage } from './coverage.ts';
import { Mutator, tokensOf } from './mutate.ts';
import { Random } from './random.ts';
import type { FuzzTarget } from './target.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** The committed corpora, a folder per target (elsewhere with FUZZ_CORPUS_ROOT: the engine's own tests). */
export const CORPUS_ROOT = process.env['FUZZ_CORPUS_ROOT'] ?? join(REPO_ROOT, 'fuzz', 'corpus');
/** Inputs found interesting by local runs: not committed (see fuzz/.gitignore). */
export const WORK_ROOT = join(REPO_ROOT, 'fuzz', '.work');

/** Inputs per coverage snapshot, at least. */
const BATCH_MIN = 8;

export type FindingKind = 'crash' | 'slow' | 'timeout' | 'oom';

export interface Finding {
  readonly kind: FindingKind;
  /** Where the input is, relative to the repository. */
  readonly path: string;
  readonly error: string;
}

export interface FuzzStats {
  readonly executions: number;
  readonly corpus: number;
  /** Blocks of the code under test seen to run. */
  readonly blocks: number;
  readonly features: number;
  readonly seconds: number;
  readonly finding?: Finding;
}

export interface FuzzOptions {
  readonly seconds: number;
  readonly seed: number;
  /** Inputs per coverage snapshot, at most (default 256). */
  readonly batchMax?: number;
  /** One input running longer than this is a finding (`slow`). */
  readonly slowMs?: number;
  /** Also read and extend the local work corpus (default true). */
  readonly work?: boolean;
  readonly log?: (line: string) => void;
  /** Called with each input before it runs (the watchdog's copy). */
  readonly onInput?: (data: Buffer) => void;
}

/** Where the target's committed corpus is. */
export function corpusFolder(target: FuzzTarget): string {
  return join(CORPUS_ROOT, target.name);
}

/** The files of a folder, sorted, as [path, bytes]. */
export function readInputs(folder: string): [string, Buffer][] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => !name.startsWith('.') && !name.endsWith('.md') && statSync(join(folder, name)).isFile())
    .sort()
    .map((name) => [join(folder, name), readFileSync(join(folder, name))]);
}

/** Saves a finding's input in the target's corpus folder (where the regression replay runs it). */
export function saveFinding(target: FuzzTarget, kind: FindingKind, data: Buffer, error: unknown): Finding {
  const folder = corpusFolder(target);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `${kind}-${createHash('sha1').update(data).digest('hex')}`);
  writeFileSync(path, data);
  return { kind, path: shown(path), error: describe(error) };
}

/** A path as reports show it: relative to the repository when inside it. */
export function shown(path: string): string {
  const inside = relative(REPO_ROOT, path);
  return inside.startsWith('..') ? path : inside;
}

export function describe(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `a thrown ${typeof error}: ${String(error)}`;
}

export async function fuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzStats> {
  const log = options.log ?? (() => undefined);
  const batchMax = options.batchMax ?? 256;
  const slowMs = options.slowMs ?? 1000;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const random = new Random(options.seed);
  // The code under test is everything of the repository's but the engine and the targets' harnesses.
  const rootUrl = pathToFileURL(REPO_ROOT).href + '/';
  const fuzzUrl = pathToFileURL(join(REPO_ROOT, 'fuzz')).href + '/';
  const coverage = new Coverage((url) => url.startsWith(rootUrl) && !url.startsWith(fuzzUrl));
  const workFolder = join(WORK_ROOT, target.name);
  const seeds = [...readInputs(corpusFolder(target)), ...(options.work === false ? [] : readInputs(workFolder))];
  const mutator = new Mutator(random, {
    maxLength: target.maxLength ?? 4096,
    json: target.json ?? false,
    dictionary: [...(target.dictionary ?? []), ...(target.json ? tokensOf(seeds.map(([, data]) => data)) : [])],
  });
  const corpus: Buffer[] = [];
  let executions = 0;
  const stats = (finding?: Finding): FuzzStats => ({
    executions,
    corpus: corpus.length,
    blocks: coverage.blocks,
    features: coverage.features,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    ...(finding ? { finding } : {}),
  });

  /** Runs one input: what went wrong, if it threw or ran too long. */
  const run = (data: Buffer): Failure | undefined => {
    options.onInput?.(data);
    executions++;
    return execute(target, data, slowMs);
  };
  /** An input that brought new features joins the corpus (and the work folder). */
  const keep = (data: Buffer): void => {
    corpus.push(data);
    if (options.work === false) return;
    mkdirSync(workFolder, { recursive: true });
    writeFileSync(join(workFolder, createHash('sha1').update(data).digest('hex')), data);
  };
  const found = (data: Buffer, failure: Failure): FuzzStats => stats(saveFinding(target, failure.kind, data, failure.error));

  try {
    coverage.reset();
    for (const [path, data] of seeds.length > 0 ? seeds : [['(empty input)', Buffer.alloc(0)] as [string, Buffer]]) {
      const failure = run(data);
      if (failure !== undefined) return stats({ kind: failure.kind, path: shown(path), error: describe(failure.error) });
      coverage.collect({ record: true });
      corpus.push(data);
    }
    log(`#${executions} seeds run   blocks: ${coverage.blocks} features: ${coverage.features} corpus: ${corpus.length}`);

    /**
     * Finds the inputs of `inputs` that bring new blocks, by halves: a half whose coverage shows
     * none is dropped whole. Every run is followed by a collect, so each starts from zeroed
     * counters.
     */
    const isolate = (inputs: readonly Buffer[]): (Failure & { data: Buffer }) | undefined => {
      if (inputs.length === 1) {
        const data = inputs[0] as Buffer;
        const failure = run(data);
        if (failure !== undefined) return { ...failure, data };
        if (coverage.collect({ record: true }) > 0) keep(data);
        return undefined;
      }
      const middle = Math.ceil(inputs.length / 2);
      for (const half of [inputs.slice(0, middle), inputs.slice(middle)]) {
        for (const data of half) {
          const failure = run(data);
          if (failure !== undefined) return { ...failure, data };
        }
        if (coverage.collect({ blocks: true }) === 0) continue;
        const failure = isolate(half);
        if (failure !== undefined) return failure;
      }
      return undefined;
    };

    let lastReport = performance.now();
    let executionsAtReport = executions;
    // Batches grow while they find nothing (coverage is taken less often) and shrink when they
    // do. A batch is screened for new blocks only; every fourth batch is a single input, judged
    // on all its features (hit counts too), so that inputs new only in counts are found as well.
    let batchSize = BATCH_MIN;
    for (let round = 1; performance.now() < deadline; round++) {
      const single = round % 4 === 0;
      const batch: Buffer[] = [];
      for (let index = 0; index < (single ? 1 : batchSize); index++) {
        // Recent additions are picked more often: they are where coverage grows.
        const base = random.chance(0.5) ? corpus[corpus.length - 1 - random.below(Math.min(corpus.length, 8))] : random.pick(corpus);
        const mutant = mutator.mutate(base as Buffer, random.pick(corpus));
        const failure = run(mutant);
        if (failure !== undefined) return found(mutant, failure);
        batch.push(mutant);
      }
      if (single) {
        if (coverage.collect({ record: true }) > 0) keep(batch[0] as Buffer);
      } else if (coverage.collect({ blocks: true }) > 0) {
        const failure = isolate(batch);
        if (failure !== undefined) return found(failure.data, failure);
        batchSize = Math.max(BATCH_MIN, batchSize / 2);
      } else batchSize = Math.min(batchMax, batchSize * 2);
      const now = performance.now();
      if (now - lastReport >= 2000) {
        const rate = Math.round(((executions - executionsAtReport) * 1000) / (now - lastReport));
        log(`#${executions} blocks: ${coverage.blocks} features: ${coverage.features} corpus: ${corpus.length} exec/s: ${rate}`);
        lastReport = now;
        executionsAtReport = executions;
      }
      // Lets promises the target left settle, and the process breathe.
      await yieldToLoop();
    }
    return stats();
  } finally {
    coverage.close();
  }
}

interface Failure {
  readonly kind: 'crash' | 'slow';
  readonly error: unknown;
}

/** One run of the target: what went wrong, if it threw or ran longer than `slowMs`. */
function execute(target: FuzzTarget, data: Buffer, slowMs: number): Failure | undefined {
  const before = performance.now();
  try {
    target.fuzz(data);
  } catch (error) {
    return { kind: 'crash', error };
  }
  const took = performance.now() - before;
  if (took > slowMs) return { kind: 'slow', error: new Error(`one run took ${Math.round(took)} ms (the limit is ${slowMs} ms)`) };
  return undefined;
}

/** Runs every committed input of the target once (the regression replay): the first finding, if any. */
export function replay(target: FuzzTarget, options: { slowMs?: number; onInput?: (data: Buffer) => void } = {}): { inputs: number; failure?: Finding } {
  const inputs = readInputs(corpusFolder(target));
  for (const [path, data] of inputs) {
    options.onInput?.(data);
    const failure = execute(target, data, options.slowMs ?? 1000);
    if (failure !== undefined) return { inputs: inputs.length, failure: { kind: failure.kind, path: shown(path), error: describe(failure.error) } };
  }
  return { inputs: inputs.length };
}
