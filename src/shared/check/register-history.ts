/**
 * The history `ringside check` judges: every read, write and delete a client ran against the
 * key-value store (one last-writer-wins register per key), with when it was sent, when its answer
 * came, and what the answer was. For the workload runner, which records it, and for the checkers
 * in this folder, which read it.
 *
 * The caller builds a `RegisterHistory` (or reads one with `registerHistoryFromJson`) and must
 * keep its invariants, which the schema checks: `id` is the operation's index in the list; a
 * client runs one operation at a time (its next operation is sent no earlier than the previous
 * one's answer, or than the moment it gave up on it); a write carries its value, a delete and a
 * read that is not `ok` carry none. Times are milliseconds since the run began; a simulated run
 * converts its ticks to milliseconds.
 *
 * Outcomes follow Jepsen: `ok` happened with this result; `fail` certainly did not happen;
 * `info` may or may not have happened, at any time after its invocation (a timeout, a lost
 * connection, a write that reached some replicas but not a quorum). A checker never counts an
 * `info` operation as lost, nor as done.
 */
import { z } from 'zod';
import { keySchema, VALUE_BYTES_MAX_DEFAULT } from '../protocol/kv.ts';

/** Operations a history holds at most: a long `ringside check` run is some tens of thousands. */
export const HISTORY_OPERATIONS_MAX = 1_000_000;
/** Longest value, in characters: the store's default value size limit. */
export const HISTORY_VALUE_LENGTH_MAX = VALUE_BYTES_MAX_DEFAULT;
/** Longest error text or coordinator name kept with an operation. */
export const HISTORY_NOTE_LENGTH_MAX = 1024;
/** Largest JSON text `registerHistoryFromJson` reads (characters). 256 Mi. */
export const HISTORY_JSON_LENGTH_MAX = 256 * 1024 * 1024;
/** Highest client number: clients are small integers, as in Jepsen. */
export const HISTORY_PROCESS_MAX = 1_000_000;

export const registerOperationKindSchema = z.enum(['read', 'write', 'delete']);
export type RegisterOperationKind = z.infer<typeof registerOperationKindSchema>;

/**
 * ok: it happened, with this result. fail: it certainly did not happen. info: unknown (timed
 * out, connection lost, no quorum after a partial write): it may or may not have taken effect,
 * at any time after its invocation.
 */
export const registerOutcomeSchema = z.enum(['ok', 'fail', 'info']);
export type RegisterOutcome = z.infer<typeof registerOutcomeSchema>;

const milliseconds = z.number().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const registerOperationSchema = z
  .object({
    /** Unique: the operation's index in the history. */
    id: z.number().int().nonnegative().max(HISTORY_OPERATIONS_MAX),
    /** The client; one client runs one operation at a time. */
    process: z.number().int().nonnegative().max(HISTORY_PROCESS_MAX),
    kind: registerOperationKindSchema,
    key: keySchema,
    /** write: the value written. read with outcome ok: the value returned, or undefined for nil (absent or deleted). */
    value: z.string().max(HISTORY_VALUE_LENGTH_MAX).optional(),
    outcome: registerOutcomeSchema,
    /** When the client sent it (ms since the run began). */
    invokeMs: milliseconds,
    /** When the client got its answer, or gave up (for info). */
    completeMs: milliseconds,
    /** The error text of a fail or info. */
    error: z.string().max(HISTORY_NOTE_LENGTH_MAX).optional(),
    /** The peer that coordinated it, when known. */
    coordinator: z.string().max(HISTORY_NOTE_LENGTH_MAX).optional(),
  })
  .readonly()
  .refine((operation) => operation.completeMs >= operation.invokeMs, 'an operation completes no earlier than it was invoked')
  .refine((operation) => operation.kind !== 'write' || operation.value !== undefined, 'a write carries the value it writes')
  .refine((operation) => operation.kind !== 'delete' || operation.value === undefined, 'a delete carries no value')
  .refine((operation) => operation.kind !== 'read' || operation.outcome === 'ok' || operation.value === undefined, 'only an ok read carries a value');
export type RegisterOperation = z.infer<typeof registerOperationSchema>;

export const registerHistorySchema = z
  .object({ operations: z.array(registerOperationSchema).max(HISTORY_OPERATIONS_MAX).readonly() })
  .readonly()
  .superRefine((history, context) => {
    const operations = history.operations;
    const byProcess = new Map<number, RegisterOperation[]>();
    for (let index = 0; index < operations.length; index++) {
      const operation = operations[index] as RegisterOperation;
      if (operation.id !== index) {
        context.addIssue({ code: 'custom', message: `operation ${index} has id ${operation.id}: an id is the operation's index`, path: ['operations', index, 'id'] });
        return;
      }
      let list = byProcess.get(operation.process);
      if (list === undefined) byProcess.set(operation.process, (list = []));
      list.push(operation);
    }
    for (const [process, list] of byProcess) {
      list.sort((first, second) => first.invokeMs - second.invokeMs || first.id - second.id);
      for (let index = 1; index < list.length; index++) {
        const previous = list[index - 1] as RegisterOperation;
        const operation = list[index] as RegisterOperation;
        if (operation.invokeMs < previous.completeMs) {
          context.addIssue({
            code: 'custom',
            message: `client ${process} sent operation ${operation.id} at ${operation.invokeMs} ms, before operation ${previous.id} ended at ${previous.completeMs} ms: a client runs one operation at a time`,
            path: ['operations', operation.id, 'invokeMs'],
          });
          return;
        }
      }
    }
  });
export type RegisterHistory = z.infer<typeof registerHistorySchema>;

/** Reads a saved history (JSON of a `RegisterHistory`), checked against the schema; throws a readable error. */
export function registerHistoryFromJson(text: string): RegisterHistory {
  if (text.length > HISTORY_JSON_LENGTH_MAX) throw new Error(`a history file is at most ${HISTORY_JSON_LENGTH_MAX} characters; this one has ${text.length}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`the history is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const parsed = registerHistorySchema.safeParse(data);
  if (!parsed.success) throw new Error(`the history is not valid:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The JSON text `registerHistoryFromJson` reads back. */
export function registerHistoryToJson(history: RegisterHistory): string {
  return `${JSON.stringify({ operations: history.operations }, null, 1)}\n`;
}

/** Each key's operations, in id order; keys in sorted order, so every check reports in the same order. */
export function operationsByKey(history: RegisterHistory): Map<string, RegisterOperation[]> {
  const byKey = new Map<string, RegisterOperation[]>();
  for (const operation of history.operations) {
    let list = byKey.get(operation.key);
    if (list === undefined) byKey.set(operation.key, (list = []));
    list.push(operation);
  }
  return new Map([...byKey].sort(([first], [second]) => (first < second ? -1 : first > second ? 1 : 0)));
}

/** Whether an operation changes the register if it takes effect. */
export function isUpdate(operation: RegisterOperation): boolean {
  return operation.kind !== 'read';
}

/** What an update leaves in the register: its value, or nil (undefined) for a delete. */
export function updateResult(operation: RegisterOperation): string | undefined {
  return operation.kind === 'write' ? operation.value : undefined;
}

/** Whether `first` comes before `second` in their client's order (by invocation, then id). */
export function beforeInProcessOrder(first: RegisterOperation, second: RegisterOperation): boolean {
  return first.process === second.process && (first.invokeMs < second.invokeMs || (first.invokeMs === second.invokeMs && first.id < second.id));
}

/**
 * Real-time precedence, as the checks use it: `first` had certainly taken effect before `second`
 * was invoked. That holds when `first` is ok and was answered before `second` was sent: at an
 * earlier time (times that are equal are concurrent: intervals are closed), or at the same time by
 * the same client, which sends its next operation only after the answer to its previous one. An
 * info operation never certainly precedes anything (it may take effect later); a failed one never
 * took effect.
 */
export function precedes(first: RegisterOperation, second: RegisterOperation): boolean {
  if (first.outcome !== 'ok') return false;
  if (first.completeMs < second.invokeMs) return true;
  return first.completeMs === second.invokeMs && beforeInProcessOrder(first, second);
}
