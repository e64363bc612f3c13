/**
 * The linearizability check (`not-linearizable`), per key, for the report. A history of a
 * key-value store is linearizable iff each key's history is (P-compositionality, Horn and Kroening
 * 2015, as Porcupine uses it), so each key is searched on its own with the Wing and Gong algorithm
 * as Lowe improved it: the call and return entries sorted by time in a doubly linked list; lift
 * the first call that the model accepts, backtrack at a return whose call could not be placed;
 * and a cache of (linearized set, state) pairs already explored, so no configuration is searched
 * twice.
 *
 * Model: a register, initially nil; a write sets it, a delete sets it to nil, a read must return
 * it. Operations that `fail` are removed (they did not happen); `info` reads are removed (they
 * constrain nothing); `info` writes and deletes return at +infinity (they may take effect at any
 * point after their invocation, or never). Intervals are closed: operations of different clients
 * whose times touch are concurrent; a client's own operations keep the order it ran them in, even
 * at equal times (`precedes` in register-history.ts), which the search enforces next to the list's
 * order. One sound and complete reduction runs first: an `info` update whose result no ok
 * read of the key ever returned is set aside, since it can always be placed last (after
 * everything) without changing any read.
 *
 * The core has no clock, so the search is bounded by steps (one step: one entry tried or one
 * backtrack) per key and in total, and by the memory its cache may hold. A key whose budget runs
 * out is `unknown`, with the steps it spent; keys are searched in sorted order, so the same
 * history gives the same answer. A `violation` comes with the longest linearizable prefix found
 * (as Porcupine's partial linearizations) and the operation that could not be placed after it.
 */
import type { Anomaly } from './anomaly.ts';
import { operationsByKey, precedes, updateResult, type RegisterHistory, type RegisterOperation } from './register-history.ts';
import { capitalize, client, count, describeInterval, describeUpdate, seconds, valueText } from './wording.ts';

/**
 * Search steps one key may take. Measured on random linearizable workloads: about 10 steps per
 * operation with 5 concurrent clients, about 160 with 10; so the default covers some 12,000
 * operations of one key at 10 clients. Raise it for longer runs.
 */
export const LINEARIZABILITY_STEPS_PER_KEY_MAX_DEFAULT = 2_000_000;
/** Search steps all keys together may take: ten keys' worth of the per-key budget. */
export const LINEARIZABILITY_STEPS_TOTAL_MAX_DEFAULT = 20_000_000;
/** Memory one key's cache may hold, estimated as entries × (4 bytes × pending operations + 64). 256 MiB. */
export const LINEARIZABILITY_CACHE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;
/** Operations one key may have; a bigger key is `unknown` without a search. */
export const LINEARIZABILITY_OPERATIONS_PER_KEY_MAX = 100_000;
const CACHE_ENTRY_OVERHEAD_BYTES = 64;

export interface LinearizabilityOptions {
  /** Default `LINEARIZABILITY_STEPS_PER_KEY_MAX_DEFAULT`. */
  readonly stepsPerKeyMax?: number;
  /** Default `LINEARIZABILITY_STEPS_TOTAL_MAX_DEFAULT`. */
  readonly stepsTotalMax?: number;
  /** Default `LINEARIZABILITY_CACHE_BYTES_MAX_DEFAULT`. */
  readonly cacheBytesMaxPerKey?: number;
}

interface KeyResultBase {
  readonly key: string;
  /** Search steps spent on this key. */
  readonly steps: number;
  /** Operations searched (after removing failed operations, info reads and unobserved info updates). */
  readonly operationsSearched: number;
}
export interface KeyLinearizable extends KeyResultBase {
  readonly verdict: 'ok';
}
export interface KeyNotLinearizable extends KeyResultBase {
  readonly verdict: 'violation';
  /** The longest linearizable prefix found, in linearization order (operation ids). */
  readonly linearizedPrefix: readonly number[];
  /** The operation that could not be linearized after that prefix. */
  readonly blockedOperation: number;
  readonly anomaly: Anomaly;
}
export interface KeyUnknown extends KeyResultBase {
  readonly verdict: 'unknown';
  readonly reason: string;
}
export type KeyLinearizability = KeyLinearizable | KeyNotLinearizable | KeyUnknown;

export interface LinearizabilityResult {
  readonly keys: readonly KeyLinearizability[];
  readonly anomalies: readonly Anomaly[];
}

export function checkLinearizability(history: RegisterHistory, options: LinearizabilityOptions = {}): LinearizabilityResult {
  const stepsPerKeyMax = options.stepsPerKeyMax ?? LINEARIZABILITY_STEPS_PER_KEY_MAX_DEFAULT;
  const stepsTotalMax = options.stepsTotalMax ?? LINEARIZABILITY_STEPS_TOTAL_MAX_DEFAULT;
  const cacheBytesMax = options.cacheBytesMaxPerKey ?? LINEARIZABILITY_CACHE_BYTES_MAX_DEFAULT;
  assertBudget(stepsPerKeyMax, 'stepsPerKeyMax');
  assertBudget(stepsTotalMax, 'stepsTotalMax');
  assertBudget(cacheBytesMax, 'cacheBytesMaxPerKey');
  const keys: KeyLinearizability[] = [];
  const anomalies: Anomaly[] = [];
  let stepsSpent = 0;
  for (const [key, operations] of operationsByKey(history)) {
    const remaining = stepsTotalMax - stepsSpent;
    const result = checkKeyLinearizability(key, operations, Math.min(stepsPerKeyMax, remaining), cacheBytesMax);
    stepsSpent += result.steps;
    if (result.verdict === 'unknown' && remaining < stepsPerKeyMax && result.steps >= remaining) {
      keys.push({ ...result, reason: `the total budget of ${count(stepsTotalMax)} search step${stepsTotalMax === 1 ? '' : 's'} ran out (${count(result.steps)} spent on this key)` });
    } else keys.push(result);
    if (result.verdict === 'violation') anomalies.push(result.anomaly);
  }
  return { keys, anomalies };
}

/**
 * One key's verdict. `operations` are that key's operations (any outcome); `stepsMax` and
 * `cacheBytesMax` bound the search.
 */
export function checkKeyLinearizability(
  key: string,
  operations: readonly RegisterOperation[],
  stepsMax: number = LINEARIZABILITY_STEPS_PER_KEY_MAX_DEFAULT,
  cacheBytesMax: number = LINEARIZABILITY_CACHE_BYTES_MAX_DEFAULT,
): KeyLinearizability {
  const searched = operationsToSearch(operations);
  if (searched.length > LINEARIZABILITY_OPERATIONS_PER_KEY_MAX) {
    return { key, verdict: 'unknown', steps: 0, operationsSearched: searched.length, reason: `it has ${count(searched.length)} operations to search, more than the ${count(LINEARIZABILITY_OPERATIONS_PER_KEY_MAX)} one key may have` };
  }
  const outcome = search(searched, stepsMax, cacheBytesMax);
  const base = { key, steps: outcome.steps, operationsSearched: searched.length };
  if (outcome.verdict === 'ok') return { ...base, verdict: 'ok' };
  if (outcome.verdict === 'unknown') {
    const reason = outcome.cacheFull
      ? `its search cache reached the memory limit of ${count(cacheBytesMax)} bytes after ${count(outcome.steps)} steps`
      : `its budget of ${count(stepsMax)} search step${stepsMax === 1 ? '' : 's'} ran out`;
    return { ...base, verdict: 'unknown', reason };
  }
  const prefix = outcome.prefix.map((index) => searched[index] as RegisterOperation);
  const blocked = searched[outcome.blocked] as RegisterOperation;
  return {
    ...base,
    verdict: 'violation',
    linearizedPrefix: prefix.map((operation) => operation.id),
    blockedOperation: blocked.id,
    anomaly: explainViolation(key, prefix, blocked, operations),
  };
}

/**
 * The operations the search must place: without failed operations and info reads, and without
 * info updates whose result no ok read returned (those can always go last).
 */
export function operationsToSearch(operations: readonly RegisterOperation[]): RegisterOperation[] {
  const observed = new Set<string | undefined>();
  for (const operation of operations) if (operation.kind === 'read' && operation.outcome === 'ok') observed.add(operation.value);
  return operations.filter((operation) => {
    if (operation.outcome === 'fail') return false;
    if (operation.kind === 'read') return operation.outcome === 'ok';
    return operation.outcome === 'ok' || observed.has(updateResult(operation));
  });
}

type SearchOutcome =
  | { readonly verdict: 'ok'; readonly steps: number }
  | { readonly verdict: 'unknown'; readonly steps: number; readonly cacheFull: boolean }
  | { readonly verdict: 'violation'; readonly steps: number; readonly prefix: readonly number[]; readonly blocked: number };

const HEAD = 0;
const NONE = -1;

/**
 * Wing and Gong with Lowe's cache over `operations` (indices are positions in that array).
 * States are small integers: 0 is nil, each distinct value its own number.
 */
function search(operations: readonly RegisterOperation[], stepsMax: number, cacheBytesMax: number): SearchOutcome {
  const operationCount = operations.length;
  if (operationCount === 0) return { verdict: 'ok', steps: 0 };

  // The model, compiled: a read expects a state, an update sets one.
  const stateOfValue = new Map<string, number>();
  const stateOf = (value: string | undefined): number => {
    if (value === undefined) return 0;
    let state = stateOfValue.get(value);
    if (state === undefined) stateOfValue.set(value, (state = stateOfValue.size + 1));
    return state;
  };
  const isRead = new Uint8Array(operationCount);
  const stateValue = new Int32Array(operationCount);
  for (let index = 0; index < operationCount; index++) {
    const operation = operations[index] as RegisterOperation;
    isRead[index] = operation.kind === 'read' ? 1 : 0;
    stateValue[index] = stateOf(operation.kind === 'read' ? operation.value : updateResult(operation));
  }

  // A client's operations are ordered even when their times are equal (it sent the next one only
  // after the answer to the previous): at equal times, an operation may be linearized only after
  // the ok operations its client finished at that instant. The list keeps equal times concurrent.
  const tieStart = new Int32Array(operationCount + 1);
  const tieList: number[] = [];
  const byProcess = new Map<number, number[]>();
  for (let index = 0; index < operationCount; index++) {
    const process = (operations[index] as RegisterOperation).process;
    let list = byProcess.get(process);
    if (list === undefined) byProcess.set(process, (list = []));
    list.push(index);
  }
  const tiePredecessors: number[][] = Array.from({ length: operationCount }, () => []);
  for (const list of byProcess.values()) {
    list.sort((first, second) => ((operations[first] as RegisterOperation).invokeMs - (operations[second] as RegisterOperation).invokeMs) || first - second);
    for (let position = 1; position < list.length; position++) {
      const operation = operations[list[position] as number] as RegisterOperation;
      for (let earlier = position - 1; earlier >= 0; earlier--) {
        const predecessor = operations[list[earlier] as number] as RegisterOperation;
        if (predecessor.completeMs !== operation.invokeMs) break;
        if (predecessor.outcome === 'ok') (tiePredecessors[list[position] as number] as number[]).push(list[earlier] as number);
      }
    }
  }
  for (let index = 0; index < operationCount; index++) {
    tieStart[index] = tieList.length;
    tieList.push(...(tiePredecessors[index] as number[]));
  }
  tieStart[operationCount] = tieList.length;

  // Entries: call of operation i is i, its return is operationCount + i; sorted by time, calls
  // before returns at the same time (closed intervals), then by operation.
  const entryCount = 2 * operationCount;
  const entryTime = (entry: number): number => {
    if (entry < operationCount) return (operations[entry] as RegisterOperation).invokeMs;
    const operation = operations[entry - operationCount] as RegisterOperation;
    return operation.outcome === 'info' ? Number.POSITIVE_INFINITY : operation.completeMs;
  };
  const order = Array.from({ length: entryCount }, (_, entry) => entry);
  order.sort((first, second) => {
    const firstTime = entryTime(first);
    const secondTime = entryTime(second);
    if (firstTime !== secondTime) return firstTime < secondTime ? -1 : 1;
    return first - second;
  });

  /** Each operation's rank in call order: the compact form of the linearized set counts in it. */
  const callRank = new Int32Array(operationCount);
  let rank = 0;
  for (const entry of order) if (entry < operationCount) callRank[entry] = rank++;

  // The doubly linked list: node 0 is the head; node k + 1 holds order[k].
  const next = new Int32Array(entryCount + 1);
  const previous = new Int32Array(entryCount + 1);
  const nodeOperation = new Int32Array(entryCount + 1);
  /** For a call node, the node of its return; NONE for a return node. */
  const match = new Int32Array(entryCount + 1).fill(NONE);
  const returnNodeOf = new Int32Array(operationCount);
  for (let position = 0; position < entryCount; position++) {
    const entry = order[position] as number;
    const node = position + 1;
    nodeOperation[node] = entry < operationCount ? entry : entry - operationCount;
    if (entry >= operationCount) returnNodeOf[entry - operationCount] = node;
  }
  for (let position = 0; position < entryCount; position++) {
    const entry = order[position] as number;
    if (entry < operationCount) match[position + 1] = returnNodeOf[entry] as number;
  }
  for (let node = 0; node <= entryCount; node++) {
    next[node] = node === entryCount ? NONE : node + 1;
    previous[node] = node - 1;
  }

  const lift = (call: number): void => {
    const after = next[call] as number;
    next[previous[call] as number] = after;
    previous[after] = previous[call] as number;
    const returned = match[call] as number;
    const afterReturn = next[returned] as number;
    next[previous[returned] as number] = afterReturn;
    if (afterReturn !== NONE) previous[afterReturn] = previous[returned] as number;
  };
  const unlift = (call: number): void => {
    const returned = match[call] as number;
    const afterReturn = next[returned] as number;
    next[previous[returned] as number] = returned;
    if (afterReturn !== NONE) previous[afterReturn] = returned;
    next[previous[call] as number] = call;
    previous[next[call] as number] = call;
  };

  // The linearized set, twice: a bitset, to ask whether an operation is in it; and for the cache a
  // compact form that stays small however long the history: every operation ranked below
  // `frontier` (in call order) is linearized except the few in `exceptions` (still pending, in
  // ascending order), and none from `frontier` up. Its hash is kept incrementally.
  const linearized = new Uint32Array(Math.ceil(operationCount / 32));
  let frontier = 0;
  const exceptions: number[] = [];
  let exceptionsHash = 0;
  const cache = new Map<number, { readonly frontier: number; readonly state: number; readonly exceptions: Int32Array }[]>();
  let cacheBytes = 0;
  /** Adds (linearized set, state) to the cache; false if it was already there. */
  const remember = (state: number): boolean => {
    const cacheKey = (exceptionsHash ^ mix32(frontier + 0x68e31da4) ^ mix32(state + 0x2545f491)) | 0;
    let bucket = cache.get(cacheKey);
    if (bucket === undefined) cache.set(cacheKey, (bucket = []));
    else {
      for (const known of bucket) if (known.frontier === frontier && known.state === state && sameList(known.exceptions, exceptions)) return false;
    }
    bucket.push({ frontier, state, exceptions: Int32Array.from(exceptions) });
    cacheBytes += exceptions.length * 4 + CACHE_ENTRY_OVERHEAD_BYTES;
    return true;
  };
  const flip = (operation: number): void => {
    linearized[operation >>> 5] = (linearized[operation >>> 5] as number) ^ (1 << (operation & 31));
  };
  const addLinearized = (operation: number): void => {
    flip(operation);
    const operationRank = callRank[operation] as number;
    if (operationRank >= frontier) {
      for (let pending = frontier; pending < operationRank; pending++) {
        exceptions.push(pending);
        exceptionsHash ^= mix32(pending + 0x1b873593);
      }
      frontier = operationRank + 1;
    } else {
      exceptions.splice(sortedIndex(exceptions, operationRank), 1);
      exceptionsHash ^= mix32(operationRank + 0x1b873593);
    }
  };
  /** Undoes `addLinearized(operation)`, the frontier having been `frontierBefore` then (undone in reverse order). */
  const removeLinearized = (operation: number, frontierBefore: number): void => {
    flip(operation);
    const operationRank = callRank[operation] as number;
    if (operationRank >= frontierBefore) {
      for (let pending = operationRank - 1; pending >= frontierBefore; pending--) {
        exceptions.pop();
        exceptionsHash ^= mix32(pending + 0x1b873593);
      }
      frontier = frontierBefore;
    } else {
      exceptions.splice(sortedIndex(exceptions, operationRank), 0, operationRank);
      exceptionsHash ^= mix32(operationRank + 0x1b873593);
    }
  };

  const stackNode = new Int32Array(operationCount);
  const stackState = new Int32Array(operationCount);
  const stackFrontier = new Int32Array(operationCount);
  let depth = 0;
  let state = 0;
  let steps = 0;
  // The deepest dead end's stack, kept up to date by copying only what changed since the last
  // copy (the stack below `unchangedBelow` still equals it), so recording it costs O(steps).
  let bestDepth = -1;
  const bestNodes = new Int32Array(operationCount);
  let unchangedBelow = 0;
  let bestBlocked = 0;
  let entry = next[HEAD] as number;

  while (next[HEAD] !== NONE) {
    if (steps >= stepsMax) return { verdict: 'unknown', steps, cacheFull: false };
    if (cacheBytes > cacheBytesMax) return { verdict: 'unknown', steps, cacheFull: true };
    steps++;
    if (entry === NONE) throw new Error('linearizability search ran off the end of the list: a call without its return');
    const operation = nodeOperation[entry] as number;
    if (match[entry] !== NONE) {
      // A call: try to linearize it now.
      let accepted = isRead[operation] === 0 || stateValue[operation] === state;
      for (let tie = tieStart[operation] as number; accepted && tie < (tieStart[operation + 1] as number); tie++) {
        const predecessor = tieList[tie] as number;
        if (((linearized[predecessor >>> 5] as number) & (1 << (predecessor & 31))) === 0) accepted = false;
      }
      if (accepted) {
        const newState = isRead[operation] === 1 ? state : (stateValue[operation] as number);
        const frontierBefore = frontier;
        addLinearized(operation);
        if (remember(newState)) {
          if (depth < unchangedBelow) unchangedBelow = depth;
          stackNode[depth] = entry;
          stackState[depth] = state;
          stackFrontier[depth] = frontierBefore;
          depth++;
          state = newState;
          lift(entry);
          entry = next[HEAD] as number;
          continue;
        }
        removeLinearized(operation, frontierBefore);
      }
      entry = next[entry] as number;
    } else {
      // A return whose call is still in the list: nothing before it fits; backtrack.
      if (depth > bestDepth) {
        bestNodes.set(stackNode.subarray(unchangedBelow, depth), unchangedBelow);
        unchangedBelow = depth;
        bestDepth = depth;
        bestBlocked = operation;
      }
      if (depth === 0) {
        const prefix = Array.from(bestNodes.subarray(0, bestDepth), (node) => nodeOperation[node] as number);
        return { verdict: 'violation', steps, prefix, blocked: bestBlocked };
      }
      depth--;
      entry = stackNode[depth] as number;
      state = stackState[depth] as number;
      removeLinearized(nodeOperation[entry] as number, stackFrontier[depth] as number);
      unlift(entry);
      entry = next[entry] as number;
    }
  }
  return { verdict: 'ok', steps };
}

function sameList(first: Int32Array, second: readonly number[]): boolean {
  if (first.length !== second.length) return false;
  for (let index = 0; index < first.length; index++) if (first[index] !== second[index]) return false;
  return true;
}

/** Where `value` is, or would go, in an ascending list. */
function sortedIndex(list: readonly number[], value: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((list[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** murmur3's 32-bit finalizer: spreads small integers over all 32 bits. */
function mix32(value: number): number {
  let hash = value | 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash;
}

function assertBudget(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number >= 0, not ${value}`);
}

function explainViolation(key: string, prefix: readonly RegisterOperation[], blocked: RegisterOperation, keyOperations: readonly RegisterOperation[]): Anomaly {
  let setter: RegisterOperation | undefined;
  for (const operation of prefix) if (operation.kind !== 'read') setter = operation;
  const held = setter === undefined ? undefined : updateResult(setter);
  const holding =
    setter === undefined ? `leaves ${key} holding nil (its initial state)` : `leaves ${key} holding ${valueText(held)}, from ${describeUpdate(setter)}`;
  const found = prefix.length === 0 ? `No operation on ${key} can go first` : `The longest linearizable prefix found has ${count(prefix.length)} operation${prefix.length === 1 ? '' : 's'} and ${holding}`;
  let next: string;
  const involved: number[] = [];
  if (setter !== undefined) involved.push(setter.id);
  involved.push(blocked.id);
  if (blocked.kind === 'read') {
    // A read in the prefix that had already seen the held value before the blocked read began
    // shows why the state could not be older; the write the blocked read's value came from shows
    // where it was from.
    const witness = latestWitness(prefix, setter, blocked);
    if (witness !== undefined) involved.push(witness.id);
    const source = newestUpdateLeaving(keyOperations, blocked.value);
    if (source !== undefined && !involved.includes(source.id)) involved.push(source.id);
    const seen = witness === undefined ? '' : ` (${client(witness.process)}'s read of ${key}, which ended at ${seconds(witness.completeMs)}, before it began, had already returned ${valueText(held)})`;
    next = `${describeInterval(blocked)}, had to take effect next, but it returned ${valueText(blocked.value)}${seen}`;
    if (prefix.length === 0) next = `${describeInterval(blocked)}, returned ${valueText(blocked.value)}, which nothing before it can explain`;
  } else {
    next = `${describeInterval(blocked)}, had to take effect next, and every order from there contradicts a later operation`;
  }
  const sentence = prefix.length === 0 ? `${found}: ${next}.` : `No order of the operations on ${key} fits a register. ${found}; then ${next}.`;
  return { kind: 'not-linearizable', key, operations: involved, sentence: capitalize(sentence) };
}

/** The last read in the prefix, after the state's setter, that returned the held state and ended before `blocked` began. */
function latestWitness(prefix: readonly RegisterOperation[], setter: RegisterOperation | undefined, blocked: RegisterOperation): RegisterOperation | undefined {
  const held = setter === undefined ? undefined : updateResult(setter);
  for (let index = prefix.length - 1; index >= 0; index--) {
    const operation = prefix[index] as RegisterOperation;
    if (operation === setter) return undefined;
    if (operation.kind === 'read' && operation.value === held && precedes(operation, blocked)) return operation;
  }
  return undefined;
}

function newestUpdateLeaving(operations: readonly RegisterOperation[], result: string | undefined): RegisterOperation | undefined {
  let newest: RegisterOperation | undefined;
  for (const operation of operations) {
    if (operation.kind === 'read' || updateResult(operation) !== result) continue;
    if (newest === undefined || operation.completeMs > newest.completeMs) newest = operation;
  }
  return newest;
}
