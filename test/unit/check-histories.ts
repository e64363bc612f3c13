/**
 * Histories for the checker tests: a terse way to write one by hand, generators of linearizable
 * histories (a sequential register run, with intervals drawn around each linearization point) and
 * of small arbitrary ones, and a brute-force linearizability oracle that tries every order real
 * time allows.
 */
import fc from 'fast-check';
import { RandomStream } from '../../src/shared/random/stream.ts';
import { registerHistorySchema, type RegisterHistory, type RegisterOperation, type RegisterOperationKind, type RegisterOutcome } from '../../src/shared/check/register-history.ts';

export type OperationSpec = Omit<RegisterOperation, 'id'>;

/** A history of these operations, ids in the order given, checked against the schema. */
export function historyOf(...operations: OperationSpec[]): RegisterHistory {
  return registerHistorySchema.parse({ operations: operations.map((operation, id) => ({ id, ...operation })) });
}

/** A write by `process` of `value` to `key` over [invokeMs, completeMs]. */
export function write(process: number, key: string, value: string, invokeMs: number, completeMs: number, outcome: RegisterOutcome = 'ok'): OperationSpec {
  return { process, kind: 'write', key, value, outcome, invokeMs, completeMs, ...(outcome === 'ok' ? {} : { error: outcome === 'fail' ? 'refused' : 'timeout' }) };
}

export function remove(process: number, key: string, invokeMs: number, completeMs: number, outcome: RegisterOutcome = 'ok'): OperationSpec {
  return { process, kind: 'delete', key, outcome, invokeMs, completeMs, ...(outcome === 'ok' ? {} : { error: outcome === 'fail' ? 'refused' : 'timeout' }) };
}

/** A read that returned `value` (undefined: nil); a read that is not ok returns nothing. */
export function read(process: number, key: string, value: string | undefined, invokeMs: number, completeMs: number, outcome: RegisterOutcome = 'ok'): OperationSpec {
  return {
    process,
    kind: 'read',
    key,
    outcome,
    invokeMs,
    completeMs,
    ...(outcome === 'ok' && value !== undefined ? { value } : {}),
    ...(outcome === 'ok' ? {} : { error: 'timeout' }),
  };
}

interface StepSpec {
  readonly kind: RegisterOperationKind;
  readonly keyIndex: number;
  readonly outcome: RegisterOutcome;
  readonly gapMs: number;
  readonly beforePointMs: number;
  readonly afterPointMs: number;
  /** For an info update: when, after its invocation, it takes effect; null: never. */
  readonly infoEffectMs: number | null;
}

const step: fc.Arbitrary<StepSpec> = fc.record({
  kind: fc.constantFrom<RegisterOperationKind>('read', 'read', 'write', 'write', 'delete'),
  keyIndex: fc.nat(9),
  outcome: fc.constantFrom<RegisterOutcome>('ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'fail', 'info'),
  gapMs: fc.nat(6),
  beforePointMs: fc.nat(5),
  afterPointMs: fc.nat(5),
  infoEffectMs: fc.option(fc.nat(40), { nil: null }),
});

export interface GeneratedHistory {
  readonly history: RegisterHistory;
  /** The final reads: one per key, after everything (including late info effects). */
  readonly finalReadIds: ReadonlySet<number>;
}

/**
 * A linearizable history: each client runs its operations one after another; each operation that
 * takes effect does so at a point inside its interval (an info update: at any point after its
 * invocation, or never; a failed operation: never), and reads return the register at their point.
 * Values are unique unless `valueCount` makes them collide.
 */
export function linearizableHistory(options: { clientsMax?: number; keys?: number; operationsPerClientMax?: number; valueCount?: number } = {}): fc.Arbitrary<GeneratedHistory> {
  const clientsMax = options.clientsMax ?? 5;
  const keys = options.keys ?? 3;
  const operationsPerClientMax = options.operationsPerClientMax ?? 10;
  return fc
    .array(fc.array(step, { maxLength: operationsPerClientMax }), { minLength: 1, maxLength: clientsMax })
    .map((clients) => buildLinearizable(clients, keys, options.valueCount));
}

/** A large linearizable history from a seeded stream: `clients` clients running `operationsPerClient` operations each. */
export function randomLinearizableHistory(seed: number, clients: number, operationsPerClient: number, keys: number): GeneratedHistory {
  const random = RandomStream.root(seed).derive('check-histories');
  const kinds: readonly RegisterOperationKind[] = ['read', 'read', 'write', 'write', 'delete'];
  const outcomes: readonly RegisterOutcome[] = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'fail', 'info'];
  const steps = Array.from({ length: clients }, () =>
    Array.from(
      { length: operationsPerClient },
      (): StepSpec => ({
        kind: kinds[random.index(kinds.length)] as RegisterOperationKind,
        keyIndex: random.int(0, keys - 1),
        outcome: outcomes[random.index(outcomes.length)] as RegisterOutcome,
        gapMs: random.int(0, 6),
        beforePointMs: random.int(0, 5),
        afterPointMs: random.int(0, 5),
        infoEffectMs: random.chance(0.5) ? null : random.int(0, 40),
      }),
    ),
  );
  return buildLinearizable(steps, keys, undefined);
}

function buildLinearizable(clients: readonly (readonly StepSpec[])[], keys: number, valueCount: number | undefined): GeneratedHistory {
  interface Planned {
    spec: OperationSpec;
    pointMs: number | null;
    order: number;
  }
  const planned: Planned[] = [];
  let written = 0;
  clients.forEach((steps, process) => {
    let timeMs = 0;
    for (const spec of steps) {
      const invokeMs = timeMs + spec.gapMs;
      const key = `k${spec.keyIndex % keys}`;
      const completeMs = invokeMs + spec.beforePointMs + spec.afterPointMs;
      let pointMs: number | null = invokeMs + spec.beforePointMs;
      if (spec.outcome === 'fail' || (spec.outcome === 'info' && spec.kind === 'read')) pointMs = null;
      else if (spec.outcome === 'info') pointMs = spec.infoEffectMs === null ? null : invokeMs + spec.infoEffectMs;
      const value = valueCount === undefined ? `v${written}` : `v${written % valueCount}`;
      if (spec.kind === 'write') written++;
      const base = { process, key, outcome: spec.outcome, invokeMs, completeMs, ...(spec.outcome === 'ok' ? {} : { error: spec.outcome === 'fail' ? 'refused' : 'timeout' }) };
      const operation: OperationSpec = spec.kind === 'write' ? { ...base, kind: 'write', value } : { ...base, kind: spec.kind };
      planned.push({ spec: operation, pointMs, order: planned.length });
      timeMs = completeMs;
    }
  });
  // Run the register in linearization order and fill in what each ok read returned.
  const state = new Map<string, string | undefined>();
  const effective = planned.filter((entry) => entry.pointMs !== null).sort((first, second) => (first.pointMs as number) - (second.pointMs as number) || first.order - second.order);
  let lastMs = 0;
  for (const entry of planned) lastMs = Math.max(lastMs, entry.spec.completeMs, entry.pointMs ?? 0);
  for (const entry of effective) {
    const operation = entry.spec;
    if (operation.kind === 'write') state.set(operation.key, operation.value);
    else if (operation.kind === 'delete') state.set(operation.key, undefined);
    else if (operation.outcome === 'ok') {
      const value = state.get(operation.key);
      entry.spec = value === undefined ? operation : { ...operation, value };
    }
  }
  const operations = planned.map((entry) => entry.spec).sort((first, second) => first.invokeMs - second.invokeMs);
  // The final reads, by one more client, after everything has happened.
  const finalProcess = clients.length;
  const finalReadIds = new Set<number>();
  for (let keyIndex = 0; keyIndex < keys; keyIndex++) {
    const key = `k${keyIndex}`;
    finalReadIds.add(operations.length);
    operations.push(read(finalProcess, key, state.get(key), lastMs + 1 + 2 * keyIndex, lastMs + 2 + 2 * keyIndex));
  }
  return { history: historyOf(...operations), finalReadIds };
}

/**
 * A small arbitrary history on one or two keys (most of them not linearizable): a few clients,
 * results drawn from a tiny set of values so they collide, intervals that overlap and touch.
 */
export function smallHistory(operationsMax = 7): fc.Arbitrary<RegisterHistory> {
  const operation = fc.record({
    process: fc.nat(3),
    kind: fc.constantFrom<RegisterOperationKind>('read', 'read', 'write', 'write', 'delete'),
    key: fc.constantFrom('x', 'x', 'x', 'y'),
    value: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
    outcome: fc.constantFrom<RegisterOutcome>('ok', 'ok', 'ok', 'fail', 'info'),
    gapMs: fc.nat(3),
    durationMs: fc.nat(4),
  });
  return fc.array(operation, { minLength: 1, maxLength: operationsMax }).map((drawn) => {
    const clock = new Map<number, number>();
    const specs = drawn.map((entry) => {
      const invokeMs = (clock.get(entry.process) ?? 0) + entry.gapMs;
      const completeMs = invokeMs + entry.durationMs;
      clock.set(entry.process, completeMs);
      if (entry.kind === 'write') return write(entry.process, entry.key, entry.value ?? 'a', invokeMs, completeMs, entry.outcome);
      if (entry.kind === 'delete') return remove(entry.process, entry.key, invokeMs, completeMs, entry.outcome);
      return read(entry.process, entry.key, entry.value, invokeMs, completeMs, entry.outcome);
    });
    return historyOf(...specs);
  });
}

/**
 * Brute force: is this key's history linearizable? Tries every order of its operations that real
 * time allows (an operation may go next when no unplaced operation returned before it was
 * invoked, or at that instant by the same client), with fail operations and info reads left out
 * and info updates never returning.
 * For a handful of operations only.
 */
export function bruteForceLinearizable(operations: readonly RegisterOperation[]): boolean {
  const kept = operations.filter((operation) => operation.outcome !== 'fail' && !(operation.kind === 'read' && operation.outcome === 'info'));
  if (kept.length > 9) throw new Error('brute force is for small histories');
  // `first` returned before `second` was sent: earlier, or at the same time by the same client
  // (which sends its next operation only after the answer). An info operation never returned.
  const mustPrecede = (first: RegisterOperation, second: RegisterOperation): boolean =>
    first.outcome === 'ok' &&
    (first.completeMs < second.invokeMs ||
      (first.completeMs === second.invokeMs && first.process === second.process && (first.invokeMs < second.invokeMs || (first.invokeMs === second.invokeMs && first.id < second.id))));
  const place = (remaining: readonly RegisterOperation[], state: string | undefined): boolean => {
    if (remaining.length === 0) return true;
    return remaining.some((candidate) => {
      if (remaining.some((other) => other !== candidate && mustPrecede(other, candidate))) return false;
      if (candidate.kind === 'read' && candidate.value !== state) return false;
      const next = candidate.kind === 'write' ? candidate.value : candidate.kind === 'delete' ? undefined : state;
      return place(
        remaining.filter((other) => other !== candidate),
        next,
      );
    });
  };
  return place(kept, undefined);
}
