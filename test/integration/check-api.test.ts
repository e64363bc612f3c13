/**
 * The cluster API's check, ring and removal commands, through the one dispatcher every transport
 * uses, on real peers: the window's Check view and ring panel rest on them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { runApiCommand, type ApiContext } from '../../src/main/server/api.ts';
import { apiCommandSchema, type ApiCommandInput } from '../../src/shared/api/cluster-api.ts';
import type { CheckStatus } from '../../src/shared/api/bridge.ts';
import { waitFor } from '../support/cluster.ts';

let context: ApiContext;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const api = (command: ApiCommandInput): Promise<any> => runApiCommand(context, apiCommandSchema.parse(command) as never);

beforeAll(() => {
  context = { manager: new ClusterManager({ tickMs: 50, messages: false }), startedAt: Date.now() };
});

afterAll(async () => {
  await context.manager.shutdown({ graceful: false });
}, 60_000);

describe('the check and ring commands of the cluster API', () => {
  it('runs a simulated check at once and answers with the judged run', async () => {
    const status = (await api({ type: 'check.start', spec: { seed: 4, workload: { durationMs: 10_000 } }, simulated: true })) as CheckStatus;
    expect(status).toMatchObject({ state: 'done', simulated: true });
    expect(status.run?.passed).toBe(true);
    expect(status.run?.history.operations.length).toBeGreaterThan(100);
    expect(status.run?.mode).toMatch(/^Strict quorums/);
    expect(await api({ type: 'check.status' })).toEqual(status);
  });

  it('says the session quorum mode and storage, and starts a sloppy cluster when asked', async () => {
    await api({ type: 'cluster.start', peers: 4, quorum: 'sloppy' });
    const session = await api({ type: 'session' });
    expect(session).toMatchObject({ quorum: 'sloppy', storage: { kind: 'disk' } });
    await waitFor('four owners in every ring state', async () => {
      const states = await api({ type: 'ring.states' });
      const values = Object.values(states) as { entries: { status: string }[]; fingerprint: string; quorum: string }[];
      return values.length === 4 && values.every((state) => state.quorum === 'sloppy' && state.entries.filter((entry) => entry.status === 'normal').length === 4) && new Set(values.map((state) => state.fingerprint)).size === 1;
    });
    await expect(api({ type: 'cluster.start', peers: 1, quorum: 'strict' })).rejects.toThrow(/stop the cluster before changing its kind, protocol, quorums/);
  });

  it('keeps a killed peer an owner until it is removed, then moves its ranges to the others', async () => {
    const peers = context.manager.runningPeers();
    for (let index = 0; index < 30; index++) expect((await api({ type: 'kv', op: 'put', key: `k${index}`, value: `v${index}` })).ok).toBe(true);
    const victim = peers[3]?.id as string;
    await api({ type: 'peer.kill', peer: victim });
    await expect(api({ type: 'peer.remove', peer: peers[0]?.id as string })).rejects.toThrow(/is running: stop it/);
    const states = await api({ type: 'ring.states' });
    expect(Object.values(states).every((state) => (state as { entries: { peer: string; status: string }[] }).entries.some((entry) => entry.peer === victim && entry.status === 'normal'))).toBe(true);
    await api({ type: 'peer.remove', peer: victim });
    await waitFor('the removed peer to be out of every ring state', async () => {
      const after = Object.values(await api({ type: 'ring.states' })) as { entries: { peer: string; status: string }[]; transition?: unknown }[];
      return after.length === 3 && after.every((state) => state.transition === undefined && state.entries.find((entry) => entry.peer === victim)?.status === 'removed');
    });
    for (let index = 0; index < 30; index++) expect(await api({ type: 'kv', op: 'read', key: `k${index}` })).toMatchObject({ ok: true, value: `v${index}` });
  });

  it('runs a check on the running peers, reports progress, and stops early when cancelled', async () => {
    await api({ type: 'cluster.stop' });
    await api({ type: 'cluster.start', peers: 5, quorum: 'strict' });
    const started = (await api({ type: 'check.start', spec: { seed: 2, workload: { durationMs: 60_000, rate: 50 }, nemesis: { kinds: ['kill', 'partition'], intervalMs: 2000 } } })) as CheckStatus;
    expect(started.state).toBe('running');
    await expect(api({ type: 'check.start', spec: {} })).rejects.toThrow(/a check is running already/);
    await waitFor('the workload to run a while', async () => (((await api({ type: 'check.status' })) as CheckStatus).progress?.operations ?? 0) > 50 || undefined, { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await api({ type: 'check.cancel' });
    const done = await waitFor('the check to finish', async () => {
      const status = (await api({ type: 'check.status' })) as CheckStatus;
      return status.state === 'done' || status.state === 'failed' ? status : undefined;
    }, { timeoutMs: 120_000 });
    expect(done.error).toBeUndefined();
    expect(done.run?.passed).toBe(true);
    expect(done.run?.notes.some((note) => note.startsWith('stopped early'))).toBe(true);
    expect(done.run?.driver).toBe('real');
    expect(done.run?.faults.length).toBeGreaterThan(0);
  }, 180_000);
});
