/**
 * The replica side of a key-value peer: it answers the coordinators' requests on what its store
 * holds, and keeps the records other replicas send (repair, handoff, anti-entropy, transfers).
 *
 * Its promises, which the coordinator's guarantees rest on:
 * - it never answers ok for a write it did not apply: a write whose version is not above the one
 *   it holds is refused as `stale`, with the record it holds, so the coordinator can stamp a newer
 *   version and try again (the same version again is the same write: ok);
 * - with the balanced placement it answers only coordinators whose ring state is its own
 *   (`ring-changed` otherwise, with its state), so both computed the same owners;
 * - every change reaches the store before the answer is an output (the driver makes the store
 *   durable before sending it).
 */
import type { Tick } from '../machine.ts';
import { summarizeValue } from '../journal/events.ts';
import { compareVersions, isNewer, type KvMessage, type KvRecord } from '../protocol/kv.ts';
import type { KvContext, ReplicaAnswer } from './types.ts';

export type Request = Extract<KvMessage, { type: 'kv.request' }>;

export class Replica {
  readonly #context: KvContext;

  constructor(context: KvContext) {
    this.#context = context;
  }

  /** Serves one request (from a coordinator, possibly this peer), journaling client operations. */
  serve(from: string, request: Request, now: Tick): ReplicaAnswer {
    const context = this.#context;
    context.counters.requestsServed++;
    const fingerprint = context.ownership.fingerprint;
    if (fingerprint !== undefined) {
      if (request.ringState !== undefined) context.mergeRing(request.ringState, from, now);
      if (request.ring !== context.ownership.fingerprint) {
        return { ok: false, reason: 'ring-changed', ringState: context.ownership.state?.toWire() };
      }
    }
    const stored = context.store.get(request.key);
    // A check needs the version and whether the key is there, never the value (up to 1 MiB).
    if (request.check) return { ok: true, record: stored === undefined ? undefined : { ...stored, value: '', binary: undefined } };
    if (request.writeBack) return this.#writeBack(request, stored, now);
    let answer: ReplicaAnswer;
    if (request.version !== undefined && request.version.tick > now + context.config.clockDriftMaxTicks) {
      answer = { ok: false, reason: 'clock-skew' };
    } else if (writesValue(request.op) && context.tooLarge(request.key, request.value ?? '', request.binary === true)) {
      answer = { ok: false, reason: 'too-large' };
    } else {
      if (request.version) context.clock.observe(request.version);
      answer = request.blind ? this.#applyBlind(request, stored, now) : this.#applyConditional(request, stored, now);
    }
    const live = answer.record !== undefined && answer.record.deleted !== true;
    const read = request.op === 'read';
    const value = read ? (live ? answer.record?.value : undefined) : request.op === 'delete' ? undefined : request.value;
    const binary = read ? answer.record?.binary === true : request.binary === true;
    const version = read ? (live ? answer.record?.version : undefined) : answer.ok ? request.version : undefined;
    // A read under quorum conditions answers ok whatever it holds; the journal says found or missing.
    const journaledOk = read && request.blind ? live : answer.ok;
    const reason = read && request.blind && !live ? 'missing' : answer.reason;
    // The journal gets the value's size and a preview, never the value (it may be 1 MiB).
    context.emit({ kind: 'kv.replica', tick: now, peer: context.id, transaction: request.transaction, op: request.op, key: request.key, ...summarizeValue(value, binary, version), ok: journaledOk, reason });
    return answer;
  }

  /** The classroom's semantics: each replica judges the condition on what it holds. */
  #applyConditional(request: Request, stored: KvRecord | undefined, now: Tick): ReplicaAnswer {
    const live = stored !== undefined && stored.deleted !== true;
    const version = request.version;
    switch (request.op) {
      case 'read':
        return live ? { ok: true, record: stored } : { ok: false, reason: 'missing' };
      case 'create':
        if (live) return { ok: false, reason: 'exists' };
        return this.#write(request, stored, now);
      case 'put':
        return this.#write(request, stored, now);
      case 'update':
      case 'delete':
        if (!live || version === undefined) return { ok: false, reason: 'missing' };
        return this.#write(request, stored, now);
    }
  }

  /** A read, or a write whose condition passed at the coordinator: applied by version alone. */
  #applyBlind(request: Request, stored: KvRecord | undefined, now: Tick): ReplicaAnswer {
    if (request.op === 'read') return { ok: true, record: stored };
    return this.#write(request, stored, now);
  }

  /** Applies a write if its version is above the one held; refuses it as stale otherwise. */
  #write(request: Request, stored: KvRecord | undefined, now: Tick): ReplicaAnswer {
    const version = request.version;
    if (version === undefined) return { ok: false, reason: 'stale', record: stored };
    if (stored !== undefined && !isNewer(version, stored.version)) {
      // The same version is the same write delivered again: it is applied.
      return compareVersions(version, stored.version) === 0 ? { ok: true, record: stored } : { ok: false, reason: 'stale', record: { ...stored, value: '', binary: undefined } };
    }
    const record = recordOf(request, version);
    this.keep(record, now);
    return { ok: true, record };
  }

  /** A read's write-back: keep the newer record; ok once this version or a newer one is held. */
  #writeBack(request: Request, stored: KvRecord | undefined, now: Tick): ReplicaAnswer {
    const version = request.version;
    if (version === undefined || version.tick > now + this.#context.config.clockDriftMaxTicks) return { ok: false, reason: 'clock-skew' };
    if (stored !== undefined && !isNewer(version, stored.version)) return { ok: true, record: stored };
    const record = recordOf(request, version);
    this.accept(record, 'repair', now);
    return { ok: true, record };
  }

  /** A record from another replica: kept when newer. Never a client operation. */
  accept(record: KvRecord, reason: 'repair' | 'handoff' | 'sync', now: Tick): boolean {
    const context = this.#context;
    context.clock.observe(record.version);
    const stored = context.store.get(record.key);
    if (stored !== undefined && !isNewer(record.version, stored.version)) return false;
    this.keep(record, now);
    // With the version and a preview (never the value), so the store at any moment can be read from the journal.
    context.emit({
      kind: 'store.changed',
      tick: now,
      peer: context.id,
      key: record.key,
      reason,
      deleted: record.deleted === true,
      ...summarizeValue(record.deleted === true ? undefined : record.value, record.binary === true, record.version),
    });
    return true;
  }

  /** Every way a record enters the store. */
  keep(record: KvRecord, now: Tick): void {
    this.#context.store.put(record, now);
    this.#context.kept(record, now);
  }
}

export function writesValue(op: string): boolean {
  return op === 'create' || op === 'update' || op === 'put';
}

function recordOf(request: Request, version: KvRecord['version']): KvRecord {
  const deleted = request.op === 'delete';
  return {
    key: request.key,
    value: deleted ? '' : (request.value ?? ''),
    ...(request.binary && !deleted ? { binary: true as const } : {}),
    ...(deleted ? { deleted: true as const } : {}),
    version,
  };
}
