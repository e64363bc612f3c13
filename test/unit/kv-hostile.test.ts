import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { KV_DEFAULTS } from '../../src/shared/kv/config.ts';
import type { KvPeer, KvResult } from '../../src/shared/kv/peer.ts';
import { RECORDS_PER_MESSAGE_MAX, kvMessageSchema, type KvMessage, type KvRecord } from '../../src/shared/protocol/kv.ts';
import { KvCluster } from '../../src/shared/sim/kv-cluster.ts';

function started() {
  const events: JournalEvent[] = [];
  const results: KvResult[] = [];
  const kv = new KvCluster({ protocol: 'gossip', peers: 4, seed: 2, kv: { ...KV_DEFAULTS, tombstoneGraceTicks: 50 }, onEvent: (event) => events.push(event), onResult: (_, result) => results.push(result) });
  for (const id of kv.ids) kv.start(id);
  kv.runUntil(20);
  const [first, second] = kv.ids as [string, string];
  const peer = kv.machine(first) as KvPeer;
  const deliver = (message: KvMessage, from = second): void => {
    for (const output of peer.step({ kind: 'receive', from, message }, kv.now)) if (output.kind === 'event') events.push(output.event);
  };
  const rejections = (reason: string): number => events.filter((event) => event.kind === 'message.rejected' && event.reason === reason).length;
  return { kv, events, results, first, second, peer, deliver, rejections };
}

const record = (key: string, value: string, tick: number): KvRecord => ({ key, value, version: { tick, counter: 0, peer: '9.9.9.9:9' } });

describe('the key-value peer and hostile input', () => {
  it('refuses a record stamped far in the future, so one message cannot stop the clock', () => {
    const { kv, deliver, rejections, peer, first, results } = started();
    deliver({ type: 'kv.store', reason: 'sync', records: [record('k', 'from the future', Number.MAX_SAFE_INTEGER)], ack: true });
    expect(peer.record('k')).toBeUndefined();
    expect(rejections('clock-skew')).toBe(1);
    // Versions still advance: a create then an update read back the update.
    kv.client(first, { transaction: 1, op: 'create', key: 'x', value: 'v1' });
    kv.runUntil(kv.now + 8);
    kv.client(first, { transaction: 2, op: 'update', key: 'x', value: 'v2' });
    kv.runUntil(kv.now + 8);
    kv.client(first, { transaction: 3, op: 'read', key: 'x' });
    kv.runUntil(kv.now + 8);
    expect(results.find((result) => result.transaction === 3)).toMatchObject({ ok: true, value: 'v2' });
  });

  it('refuses replication traffic from a peer that is not a member', () => {
    const { deliver, rejections, peer } = started();
    deliver({ type: 'kv.store', reason: 'handoff', records: [record('k', 'v', 10)], ack: true }, 'stranger:1');
    deliver({ type: 'kv.pull', keys: ['k'] }, 'stranger:1');
    expect(peer.record('k')).toBeUndefined();
    expect(rejections('not-a-member')).toBe(2);
  });

  it("ignores an answer about another key than the transaction's", () => {
    const { kv, first, second, results, events } = started();
    kv.client(first, { transaction: 7, op: 'read', key: 'a' });
    const peer = kv.machine(first) as KvPeer;
    for (const output of peer.step({ kind: 'receive', from: second, message: { type: 'kv.reply', transaction: 7, ok: true, record: record('b', 'forged', 10) } }, kv.now)) {
      if (output.kind === 'event') events.push(output.event);
    }
    kv.runUntil(kv.now + 15);
    expect(results.find((result) => result.transaction === 7)?.value).not.toBe('forged');
    expect(events.some((event) => event.kind === 'message.rejected' && event.reason === 'mismatched')).toBe(true);
  });

  it('refuses at the replica a value over the limit that a peer sends anyway', () => {
    const { deliver, peer, events } = started();
    const big = 'x'.repeat(KV_DEFAULTS.valueBytesMax + 1);
    deliver({ type: 'kv.request', transaction: 1, op: 'create', key: 'big', value: big, version: { tick: 20, counter: 0, peer: '2.0.0.0:0' }, ring: peer.ringFingerprint });
    expect(peer.record('big')).toBeUndefined();
    expect(events.some((event) => event.kind === 'kv.replica' && event.key === 'big' && event.reason === 'too-large')).toBe(true);
  });

  it('answers a request fenced on another ring state with ring-changed and its own state, and applies nothing', () => {
    const { peer, second } = started();
    const outputs = [...peer.step({ kind: 'receive', from: second, message: { type: 'kv.request', transaction: 1, op: 'put', key: 'k', value: 'v', version: { tick: 20, counter: 0, peer: second }, blind: true, ring: 'not-this-ring' } }, 30)];
    const reply = outputs.find((output) => output.kind === 'send')?.message;
    expect(reply).toMatchObject({ type: 'kv.reply', ok: false, reason: 'ring-changed', ringState: peer.ringState() });
    expect(peer.record('k')).toBeUndefined();
    const unfenced = [...peer.step({ kind: 'receive', from: second, message: { type: 'kv.request', transaction: 2, op: 'put', key: 'k', value: 'v', version: { tick: 20, counter: 0, peer: second }, blind: true } }, 30)];
    expect(unfenced.find((output) => output.kind === 'send')?.message).toMatchObject({ ok: false, reason: 'ring-changed' });
  });

  it('refuses a client command with an unknown operation instead of throwing', () => {
    const { kv, first, results } = started();
    kv.client(first, { transaction: 9, op: 'upsert' as never, key: 'k', value: 'v' });
    expect(results).toEqual([expect.objectContaining({ transaction: 9, ok: false, reason: 'invalid-request' })]);
  });

  it('keeps every digest within the wire schema, whatever the number of shared keys', () => {
    const kv = new KvCluster({ protocol: 'gossip', peers: 3, seed: 1, kv: { ...KV_DEFAULTS, antiEntropyIntervalTicks: 40 } });
    for (const id of kv.ids) kv.start(id);
    kv.runUntil(20);
    const peer = kv.machine(kv.ids[0] as string) as KvPeer;
    const records = Array.from({ length: 5000 }, (_, index) => record(`key-${index}`, 'v', 15));
    for (let index = 0; index < records.length; index += 1000) {
      peer.step({ kind: 'receive', from: kv.ids[1] as string, message: { type: 'kv.store', reason: 'sync', records: records.slice(index, index + 1000), ack: false } }, kv.now);
    }
    const digests: KvMessage[] = [];
    const send = kv.sim.network.send.bind(kv.sim.network);
    kv.sim.network.send = (from, to, message, now) => {
      if (from === peer.id && message.type === 'kv.digest') digests.push(message as KvMessage);
      return send(from, to, message, now);
    };
    kv.runUntil(kv.now + 45);
    // With 3 peers and N = 3 every key is shared with both others: 5,000 entries for each.
    expect(digests.length).toBeGreaterThanOrEqual(4);
    for (const digest of digests) {
      expect(digest.type === 'kv.digest' && digest.entries.length).toBeLessThanOrEqual(RECORDS_PER_MESSAGE_MAX);
      expect(kvMessageSchema.safeParse(digest).success).toBe(true);
    }
  });

  it('keeps a tombstone stamped far back until every owner holds it, then collects it', () => {
    const { kv, deliver, peer, events } = started();
    deliver({ type: 'kv.store', reason: 'sync', records: [{ ...record('gone', '', 1), deleted: true }], ack: false });
    expect(peer.record('gone')?.deleted).toBe(true);
    // Past its grace period already, but the other owners have not seen it: kept.
    kv.runUntil(kv.now + 40);
    expect(peer.record('gone')).toBeDefined();
    // Anti-entropy brings it to them; each says so in its digest; then it goes everywhere.
    kv.runUntil(kv.now + 400);
    expect(peer.record('gone')).toBeUndefined();
    expect(kv.ids.map((id) => kv.machine(id)?.record('gone'))).toEqual(kv.ids.map(() => undefined));
    expect(events.some((event) => event.kind === 'store.dropped' && event.reason === 'tombstone-expired')).toBe(true);
  });
});
