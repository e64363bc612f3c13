/**
 * A history of client operations in the shape linearizability checkers read (Jepsen, Knossos,
 * Porcupine): each operation is an `invoke` entry, later completed by `ok`, `fail` or `unknown`
 * (the client never heard back: the operation may or may not have taken effect).
 *
 * The checks below read it: reads only return values someone wrote, and no acknowledged write is
 * lost (the final value of a key is its last acknowledged write, or a write that could have
 * followed it).
 */
import type { KvOperation } from '../protocol/kv.ts';
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
  /** Written by create and update; returned by a successful read. */
  readonly value?: string;
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

  complete(operation: number, type: 'ok' | 'fail' | 'unknown', tick: Tick, value?: string): void {
    const invoked = this.#open.get(operation);
    if (invoked === undefined) throw new Error(`operation ${operation} is not open`);
    this.#open.delete(operation);
    const written = invoked.op === 'read' ? value : invoked.value;
    this.entries.push({ type, operation, process: invoked.process, op: invoked.op, key: invoked.key, ...(written === undefined ? {} : { value: written }), tick });
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
      invokeTick: invoke.tick,
      ...(completion ? { completeTick: completion.tick } : {}),
    }));
  }
}

/** Reads that returned a value no create or update of that key ever carried. */
export function readsOfUnwrittenValues(history: History): Operation[] {
  const operations = history.operations();
  const written = new Map<string, Set<string>>();
  for (const operation of operations) {
    if ((operation.op === 'create' || operation.op === 'update') && operation.value !== undefined) {
      let values = written.get(operation.key);
      if (values === undefined) written.set(operation.key, (values = new Set()));
      values.add(operation.value);
    }
  }
  return operations.filter((operation) => operation.op === 'read' && operation.outcome === 'ok' && !(written.get(operation.key)?.has(operation.value ?? '') ?? false));
}

/**
 * Keys whose final value contradicts the history: it must be the last acknowledged write's (a
 * delete's: absent), or that of a write invoked after that write was invoked (which may have
 * taken effect even if it failed or got no answer: last writer wins).
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
    const last = acknowledged.at(-1);
    if (last === undefined) continue;
    const allowed = new Set<string | undefined>([last.op === 'delete' ? undefined : last.value]);
    // Any write invoked later may have taken effect, even one reported failed: it may have reached
    // a replica that later wins (the classroom's update after two crashes does exactly that).
    for (const later of list) {
      if (later.invokeTick >= last.invokeTick && later.index !== last.index) allowed.add(later.op === 'delete' ? undefined : later.value);
    }
    const found = finalValue(key);
    if (!allowed.has(found)) problems.push({ key, expected: [...allowed].map((value) => value ?? '(absent)').join(' or '), found });
  }
  return problems;
}
