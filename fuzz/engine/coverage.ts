/**
 * Coverage feedback from V8 itself: precise block coverage through the inspector protocol (what
 * `NODE_V8_COVERAGE` and c8 read), taken after each run of the target. No source is rewritten,
 * so the code fuzzed is byte for byte the code that runs in the peers and the manager.
 *
 * V8 reports, per function, its range and the nested block ranges whose counts differ from the
 * enclosing range's; a block not reported ran as often as the innermost reported range around
 * it. So a block seen once is remembered, and its count in every later report is worked out from
 * the ranges around it. A feature is (block, bucket of its count), the buckets libFuzzer uses
 * (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+): a new feature makes an input interesting.
 */
import { Session } from 'node:inspector';

interface Range {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}
interface FunctionCoverage {
  readonly functionName: string;
  readonly ranges: readonly Range[];
}
interface ScriptCoverage {
  readonly scriptId: string;
  readonly url: string;
  readonly functions: readonly FunctionCoverage[];
}

/** Counts into libFuzzer's eight buckets (0 for a block that did not run). */
function bucket(count: number): number {
  if (count <= 0) return 0;
  if (count <= 3) return count;
  if (count <= 7) return 4;
  if (count <= 15) return 5;
  if (count <= 31) return 6;
  if (count <= 127) return 7;
  return 8;
}

export class Coverage {
  readonly #session = new Session();
  readonly #include: (url: string) => boolean;
  /** Block ranges seen so far, per function (`url@start`), as [start, end] pairs. */
  readonly #blocks = new Map<string, [number, number][]>();
  /** Every feature seen so far, as `function#block*bucket` keys. */
  readonly #features = new Set<string>();
  /** Blocks seen to run, as `function#block` keys. */
  readonly #covered = new Set<string>();

  /** `include` picks the scripts whose coverage counts (the code under test, not the engine). */
  constructor(include: (url: string) => boolean) {
    this.#include = include;
    this.#session.connect();
    this.#post('Profiler.enable');
    this.#post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  get features(): number {
    return this.#features.size;
  }

  /** Blocks seen to run at least once. */
  get blocks(): number {
    return this.#covered.size;
  }

  /** Forgets the counts since the last call (before a run whose coverage is wanted alone). */
  reset(): void {
    this.#post('Profiler.takePreciseCoverage');
  }

  /**
   * What is new in everything run since the last call or `reset`: features, or with `blocks`
   * only blocks never seen to run (the counts of a batch are sums, so their buckets say little).
   * `record` adds the new features to those seen. Returns how many were new.
   */
  collect({ record = false, blocks: blocksOnly = false }: { record?: boolean; blocks?: boolean } = {}): number {
    const { result } = this.#post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    let fresh = 0;
    const pending: string[] = [];
    for (const script of result) {
      if (!this.#include(script.url)) continue;
      for (const fn of script.functions) {
        const ranges = fn.ranges;
        const outer = ranges[0];
        if (outer === undefined || outer.count === 0) continue;
        const key = `${script.url}@${outer.startOffset}`;
        let blocks = this.#blocks.get(key);
        if (blocks === undefined) {
          blocks = [[outer.startOffset, outer.endOffset]];
          this.#blocks.set(key, blocks);
        }
        for (let index = 1; index < ranges.length; index++) {
          const range = ranges[index] as Range;
          if (!blocks.some(([start, end]) => start === range.startOffset && end === range.endOffset)) {
            blocks.push([range.startOffset, range.endOffset]);
          }
        }
        for (let index = 0; index < blocks.length; index++) {
          const [start, end] = blocks[index] as [number, number];
          const level = bucket(countOf(ranges, start, end));
          if (level === 0) continue;
          if (blocksOnly) {
            if (!this.#covered.has(`${key}#${index}`)) fresh++;
            continue;
          }
          const feature = `${key}#${index}*${level}`;
          if (this.#features.has(feature)) continue;
          fresh++;
          if (record) {
            pending.push(feature);
            this.#covered.add(`${key}#${index}`);
          }
        }
      }
    }
    for (const feature of pending) this.#features.add(feature);
    return fresh;
  }

  close(): void {
    this.#post('Profiler.stopPreciseCoverage');
    this.#session.disconnect();
  }

  #post(method: string, params: object = {}): unknown {
    // An inspector session on this thread answers synchronously, inside `post`.
    let answer: unknown;
    let failure: Error | null = null;
    this.#session.post(method, params, (error, result) => {
      failure = error;
      answer = result;
    });
    if (failure !== null) throw failure;
    return answer;
  }
}

/** The count of the innermost reported range around [start, end). */
function countOf(ranges: readonly Range[], start: number, end: number): number {
  let best: Range | undefined;
  for (const range of ranges) {
    if (range.startOffset <= start && range.endOffset >= end) {
      if (best === undefined || range.endOffset - range.startOffset <= best.endOffset - best.startOffset) best = range;
    }
  }
  return best?.count ?? 0;
}
