/**
 * Which operations could have put a given result in a key's register: the writes that carried the
 * value, or for nil the initial state (before everything) and the deletes. The stale-read and
 * lost-write checks ask it; values need not be unique (every write of the value is a candidate,
 * which keeps the checks sound and only makes their explanations less precise).
 *
 * A candidate's effect is certain once it is acknowledged (an ok update); an info update may take
 * effect at any time after its invocation, so its effect is never certain; the initial state was
 * there before everything. `allPrecede` asks whether every candidate had certainly taken effect
 * before an operation began (`precedes` in register-history.ts: by time, or by the client's own
 * order when times are equal).
 */
import { precedes, type RegisterOperation } from './register-history.ts';

export interface Writers {
  /** Whether the initial state (nil, before everything) could be the source. */
  readonly initial: boolean;
  /** The ok and info updates that leave this result, in id order. */
  readonly updates: readonly RegisterOperation[];
  /**
   * When every candidate's effect is certain: the latest acknowledgement among them; +Infinity if
   * one is an info update; -Infinity for the initial state alone.
   */
  readonly certainByMs: number;
  /** The candidates acknowledged exactly at `certainByMs` (ties need the client order). */
  readonly certainLast: readonly RegisterOperation[];
}

/** The writers of each result on one key. Build once per key, ask per read. */
export class KeyWriters {
  readonly #byValue = new Map<string, RegisterOperation[]>();
  readonly #deletes: RegisterOperation[] = [];
  /** Every write of each value, failed ones too (for the invented and aborted checks). */
  readonly #everyWriteByValue = new Map<string, RegisterOperation[]>();
  readonly #writersByValue = new Map<string, Writers>();
  #writersOfNil: Writers | undefined;

  constructor(keyOperations: readonly RegisterOperation[]) {
    for (const operation of keyOperations) {
      if (operation.kind === 'write' && operation.value !== undefined) {
        append(this.#everyWriteByValue, operation.value, operation);
        if (operation.outcome !== 'fail') append(this.#byValue, operation.value, operation);
      } else if (operation.kind === 'delete' && operation.outcome !== 'fail') this.#deletes.push(operation);
    }
  }

  /** The candidates that could have produced `result` (undefined: nil). */
  of(result: string | undefined): Writers {
    if (result === undefined) return (this.#writersOfNil ??= writers(true, this.#deletes));
    let found = this.#writersByValue.get(result);
    if (found === undefined) this.#writersByValue.set(result, (found = writers(false, this.#byValue.get(result) ?? [])));
    return found;
  }

  /** Every write of `value`, whatever its outcome. */
  everyWriteOf(value: string): readonly RegisterOperation[] {
    return this.#everyWriteByValue.get(value) ?? [];
  }
}

/** Whether every candidate had certainly taken effect before `update` was invoked (`precedes`). */
export function allPrecede(sources: Writers, update: RegisterOperation): boolean {
  if (update.invokeMs > sources.certainByMs) return true;
  if (update.invokeMs < sources.certainByMs || sources.certainByMs === Number.POSITIVE_INFINITY) return false;
  return sources.certainLast.every((candidate) => precedes(candidate, update));
}

/** The candidate acknowledged last (the most likely source), or undefined for the initial state alone. */
export function newestWriter(writers: Writers): RegisterOperation | undefined {
  let newest: RegisterOperation | undefined;
  for (const update of writers.updates) if (newest === undefined || update.completeMs > newest.completeMs) newest = update;
  return newest;
}

function writers(initial: boolean, updates: readonly RegisterOperation[]): Writers {
  // The initial state was certain before everything: it never moves this later.
  let certainByMs = Number.NEGATIVE_INFINITY;
  for (const update of updates) certainByMs = Math.max(certainByMs, update.outcome === 'ok' ? update.completeMs : Number.POSITIVE_INFINITY);
  const certainLast = Number.isFinite(certainByMs) ? updates.filter((update) => update.completeMs === certainByMs) : [];
  return { initial, updates, certainByMs, certainLast };
}

function append(map: Map<string, RegisterOperation[]>, value: string, operation: RegisterOperation): void {
  let list = map.get(value);
  if (list === undefined) map.set(value, (list = []));
  list.push(operation);
}
