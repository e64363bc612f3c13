/**
 * What a fuzz target is: a function of one input that throws only when an invariant breaks.
 *
 * Every target here checks the same promises of a parser at a process boundary: bad input never
 * throws out of it (it returns an error value), what it keeps or returns is in proportion to the
 * input, and valid input round-trips where an encoder exists. A target throws `InvariantBroken`
 * (or lets the parser's own exception escape) and the engine saves the input as a finding.
 */
export interface FuzzTarget {
  /** The folder name of the target's corpus (`fuzz/corpus/<name>`). */
  readonly name: string;
  /** One line: what is fuzzed. */
  readonly description: string;
  /** Runs one input. Synchronous: each input is judged before the next runs. */
  fuzz(data: Buffer): void;
  /** Inputs are cut to this many bytes (default 4096). */
  readonly maxLength?: number;
  /** The input is JSON text: the engine also mutates it as a JSON value (default false). */
  readonly json?: boolean;
  /** Tokens the mutator splices in (the engine adds the strings and numbers of the seeds). */
  readonly dictionary?: readonly string[];
}

/** A broken promise of the code under test (a finding, not a harness error). */
export class InvariantBroken extends Error {
  override readonly name = 'InvariantBroken';
}

/** Throws `InvariantBroken` with `message` unless `condition` holds. */
export function check(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantBroken(typeof message === 'string' ? message : message());
}

