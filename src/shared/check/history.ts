/**
 * A history of client operations in the shape linearizability checkers read (Jepsen, Knossos,
 * Porcupine): each operation is an `invoke` entry, later completed by `ok`, `fail` or `unknown`
 * (the client never heard back: the operation may or may not have taken effect).
 *
 * The checks below read it: reads only return values someone wrote, and no acknowledged write is
 * lost (the final value of a key is its last acknowledged write, or a write that could have
 * followed it).
 */
import type { KvFailure, KvOperation } from '../protocol/kv.ts';
import type { Tick } from '../machine.ts';

export type HistoryType = 'invoke' | 'ok' | 'fail' | 'unknown';

export interface HistoryEntry {
  readonly type: HistoryType;
  /** The operation this entry belongs to (its invoke's index). */
  readonly operation: number;
  /** Who issued it: a client, or the coordinator it went through. */
  readonly process: string;
  readonly op: KvOperation;
  readonly key: string;
  /** Written by create, update and put; returned by a successful read. */
  readonly value?: string;
  /** Why a `fail` failed. */
  readonly reason?: KvFailure;
  readonly tick: Tick;
}

export interface Operation {
  readonly index: number;
  readonly process: string;
  readonly op: KvOperation;
  readonly key: string;
  /** The value written, or the value an ok read returned. */
  readonly value?: string;
  readonly outcome: Exclude<HistoryType, 'invoke'> | 'pending';
  readonly reason?: KvFailure;
  readonly invokeTick: Tick;
  readonly completeTick?: Tick;
}

export class History {
  readonly entries: HistoryEntry[] = [];
  readonly #open = new Map<number, HistoryEntry>();

  /** Records an invocation; returns the operation's index, for `complete`. */
  invoke(process: string, op: KvOperation, key: string, value: string | undefined, tick: Tick): number {
    const operation = this.entries.length;
    const entry: HistoryEntry = { type: 'invoke', operation, process, op, key, ...(value === undefined ? {} : { value }), tick };
    this.entries.push(entry);
    this.#open.set(operation, entry);
    return operation;
  }

  complete(operation: number, type: 'ok' | 'fail' | 'unknown', tick: Tick, value?: string, reason?: KvFailure): void {
    const invoked = this.#open.get(operation);
    if (invoked === undefined) throw new Error(`operation ${operation} is not open`);
    this.#open.delete(operation);
    const written = invoked.op === 'read' ? value : invoked.value;
    this.entries.push({
      type,
      operation,
      process: invoked.process,
      op: invoked.op,
      key: invoked.key,
      ...(written === undefined ? {} : { value: written }),
      ...(reason === undefined ? {} : { reason }),
      tick,
    });
  }

  /** Completes every operation still open as `unknown`: the run ended without an answer. */
  closeOpen(tick: Tick): void {
    for (const operation of [...this.#open.keys()]) this.complete(operation, 'unknown', tick);
  }

  /** Each operation with its outcome, in invocation order. */
  operations(): Operation[] {
    const byIndex = new Map<number, { invoke: HistoryEntry; completion?: HistoryEntry }>();
    for (const entry of this.entries) {
      if (entry.type === 'invoke') byIndex.set(entry.operation, { invoke: entry });
      else {
        const pair = byIndex.get(entry.operation);
        if (pair) pair.completion = entry;
      }
    }
    return [...byIndex.values()].map(({ invoke, completion }) => ({
      index: invoke.operation,
      process: invoke.process,
      op: invoke.op,
      key: invoke.key,
      ...(completion?.value !== undefined ? { value: completion.value } : invoke.value !== undefined ? { value: invoke.value } : {}),
      outcome: completion?.type === 'invoke' || completion === undefined ? 'pending' : completion.type,
      ...(completion?.reason ? { reason: completion.reason } : {}),
      invokeTick: invoke.tick,
      ...(completion ? { completeTick: completion.tick } : {}),
    }));
  }
}

/** Reads that returned a value no create, update or put of that key ever carried. */
export function readsOfUnwrittenValues(history: History): Operation[] {
  const operations = history.operations();
  const written = new Map<string, Set<string>>();
  for (const operation of operations) {
    if ((operation.op === 'create' || operation.op === 'update' || operation.op === 'put') && operation.value !== undefined) {
      let values = written.get(operation.key);
      if (values === undefined) written.set(operation.key, (values = new Set()));
      values.add(operation.value);
    }
  }
  return operations.filter((operation) => operation.op === 'read' && operation.outcome === 'ok' && !(written.get(operation.key)?.has(operation.value ?? '') ?? false));
}

/** Failures after which a write may still have taken effect: nobody knows how far it got. */
const UNCERTAIN_FAILURES: ReadonlySet<KvFailure | undefined> = new Set<KvFailure | undefined>(['timeout', 'no-quorum', undefined]);

/**
 * Keys whose final value no acknowledged write explains. The final value must come from a write
 * that may have taken effect (acknowledged, unanswered, or failed for want of answers; never one
 * refused outright, such as a create of an existing key) and that did not complete before some
 * acknowledged write began: a later acknowledged write must win over it. A delete explains an
 * absent key. Keys without an acknowledged write are not judged.
 */
export function lostWrites(history: History, finalValue: (key: string) => string | undefined): { key: string; expected: string; found: string | undefined }[] {
  const writes = history.operations().filter((operation) => operation.op !== 'read');
  const byKey = new Map<string, Operation[]>();
  for (const write of writes) {
    let list = byKey.get(write.key);
    if (list === undefined) byKey.set(write.key, (list = []));
    list.push(write);
  }
  const problems: { key: string; expected: string; found: string | undefined }[] = [];
  for (const [key, list] of byKey) {
    const acknowledged = list.filter((write) => write.outcome === 'ok');
    if (acknowledged.length === 0) continue;
    const mayHaveEffect = list.filter((write) => write.outcome !== 'fail' || UNCERTAIN_FAILURES.has(write.reason));
    const candidates = mayHaveEffect.filter(
      (write) => !acknowledged.some((other) => other !== write && write.completeTick !== undefined && write.outcome !== 'unknown' && write.completeTick < other.invokeTick),
    );
    const allowed = new Set<string | undefined>(candidates.map((write) => (write.op === 'delete' ? undefined : write.value)));
    const found = finalValue(key);
    if (!allowed.has(found)) problems.push({ key, expected: [...allowed].map((value) => value ?? '(absent)').join(' or '), found });
  }
  return problems;
}
