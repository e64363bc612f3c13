/**
 * The window's circular DHT backend: the spec's reference-ring story (specs/classroom-circular-dht.md)
 * with seven real peer processes started and driven through the cluster manager and the cluster
 * API (`runApiCommand`), as the window drives them. Peers ping every second. Each step reads the
 * peers' console lines from the session journal and their beliefs from `dht.inspect` / `dht.ring`:
 * the ring's successors; Quit of 9; Store 2067 at 8 with its route; join of 15 through 4; kill of
 * 14 and the repaired successors; Request 4103 at 2 with 8's 4103.pdf put through the API, received
 * byte for byte. Key-value commands are refused in words.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { runApiCommand, type ApiContext } from '../../src/main/server/api.ts';
import type { ApiResult } from '../../src/shared/api/bridge.ts';
import { apiCommandSchema, type ApiCommand, type ApiCommandInput, type PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import type { DhtInspection } from '../../src/shared/protocol/control.ts';
import { waitFor } from '../support/cluster.ts';
import { freePortBase } from '../support/p2p-peers.ts';
import { expectedSuccessors, REFERENCE_RING, type ConsoleEvent } from '../support/dht-ring.ts';

/** A gone successor is declared within 1 + 3 × 1 s at this interval: the waits below leave room for a busy machine. */
const REPAIR_MS = 20_000;

let folder: string;
let manager: ClusterManager;
let context: ApiContext;

/** Runs one API command as a client sends it: parsed with the shared schema first. */
async function api<T extends ApiCommand['type']>(command: ApiCommandInput & { type: T }): Promise<ApiResult<T>> {
  return runApiCommand(context, apiCommandSchema.parse(command) as Extract<ApiCommand, { type: T }>);
}

function idOf(identity: number): string {
  const found = manager.peers().find((peer) => peer.identity === identity);
  if (found === undefined) throw new Error(`no peer ${identity} in the session`);
  return found.id;
}

/** The journal's seq now, to read what follows. */
function mark(): number {
  return manager.journal.size - 1;
}

/** Console lines (with their lookups) of peer `identity` journaled after `since`. */
function consoleOf(identity: number, since: number): ConsoleEvent[] {
  const id = idOf(identity);
  return manager.journal
    .entriesAfter(since, 1_000_000)
    .map((entry) => entry.event)
    .filter((event): event is ConsoleEvent => event.kind === 'console' && event.peer === id);
}

function linesOf(identity: number, since: number, pings = false): string[] {
  return consoleOf(identity, since)
    .map((event) => event.text)
    .filter((text) => pings || !text.startsWith('Ping '));
}

/** Waits until peer `identity` has said `expected`, one line right after the other (pings left out). */
async function says(identity: number, expected: readonly string[], since: number, timeoutMs = 15_000): Promise<void> {
  await waitFor(`peer ${identity} to say ${JSON.stringify(expected)}`, () => {
    const lines = linesOf(identity, since);
    const start = lines.indexOf(expected[0] as string);
    return start >= 0 && expected.every((line, index) => lines[start + index] === line);
  }, { timeoutMs, intervalMs: 50, describe: () => linesOf(identity, since) });
}

/** The running peers whose successors are not the next two running peers. */
function wrongRing(ring: readonly DhtInspection[]): string[] {
  const identities = ring.map((inspection) => inspection.identity);
  return ring
    .filter((inspection) => {
      const expected = expectedSuccessors(identities, inspection.identity);
      return inspection.status !== 'member' || inspection.successors[0] !== expected.first || inspection.successors[1] !== expected.second;
    })
    .map((inspection) => `${inspection.identity}: ${inspection.successors.join(', ')}`);
}

async function ringSettles(identities: readonly number[]): Promise<DhtInspection[]> {
  return waitFor(
    `the ring ${identities.join(', ')} to have every successor right`,
    async () => {
      const ring = await api({ type: 'dht.ring' });
      return ring.map((inspection) => inspection.identity).join() === [...identities].sort((a, b) => a - b).join() && wrongRing(ring).length === 0 ? ring : undefined;
    },
    { timeoutMs: REPAIR_MS, intervalMs: 200, describe: async () => (await api({ type: 'dht.ring' })).map((inspection) => `${inspection.identity}: ${inspection.successors.join(', ')} ← ${inspection.predecessors.join(', ')}`) },
  );
}

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'ringside-dht-cluster-'));
  manager = new ClusterManager({ journalPath: join(folder, 'session.ndjson'), dht: { folder: join(folder, 'peers') } });
  context = { manager, startedAt: Date.now() };
}, 10_000);

afterAll(async () => {
  await manager?.shutdown({ timeoutMs: 5000 });
  rmSync(folder, { recursive: true, force: true });
}, 30_000);

describe('a circular DHT cluster of real processes, driven through the cluster API', () => {
  let started: PeerSummaryWire[];

  it('starts the reference ring: seven peers, each begun as p2p init with the spec\'s successors', async () => {
    started = await api({ type: 'cluster.start', peers: 7, kind: 'dht', pingIntervalSeconds: 1 });
    expect(started.map((peer) => peer.identity)).toEqual([...REFERENCE_RING]);
    expect(started.every((peer) => peer.state === 'running' && peer.port === (manager.dhtPlaces.portBase as number) + (peer.identity as number))).toBe(true);
    const session = await api({ type: 'session' });
    expect(session).toMatchObject({ kind: 'dht', dht: { pingIntervalSeconds: 1, fingers: false, portBase: manager.dhtPlaces.portBase, folder: join(folder, 'peers') } });
    const inspection = await api({ type: 'dht.inspect', peer: idOf(8) });
    expect(inspection).toMatchObject({ identity: 8, successors: [9, 14], pingIntervalTicks: 10, tickMs: 100, folder: { path: join(folder, 'peers', 'peer-8') } });
  });

  it('every peer pings its successors and learns both predecessors from their pings', async () => {
    const ring = await ringSettles(REFERENCE_RING);
    await waitFor('every peer to know both predecessors', async () => (await api({ type: 'dht.ring' })).every((inspection) => inspection.predecessors.length === 2), { timeoutMs: 10_000 });
    expect(ring.map((inspection) => [inspection.identity, inspection.successors])).toEqual([
      [2, [4, 5]],
      [4, [5, 8]],
      [5, [8, 9]],
      [8, [9, 14]],
      [9, [14, 19]],
      [14, [19, 2]],
      [19, [2, 4]],
    ]);
    expect((await api({ type: 'dht.inspect', peer: idOf(14) })).predecessors).toEqual([9, 8]);
    expect(linesOf(2, -1, true)).toContain('Ping requests sent to Peers 4 and 5');
  });

  it('refuses key-value commands, and a change of kind while the ring lives, in words', async () => {
    await expect(api({ type: 'kv', op: 'read', key: 'a' })).rejects.toThrow('this cluster runs the circular DHT; key-value commands need a key-value cluster');
    await expect(api({ type: 'views' })).rejects.toThrow('key-value commands need a key-value cluster');
    await expect(api({ type: 'peer.inspect', peer: idOf(2) })).rejects.toThrow('key-value commands need a key-value cluster');
    await expect(api({ type: 'faults.set', plan: { loss: 0.5 } })).rejects.toThrow('key-value commands need a key-value cluster');
    await expect(api({ type: 'cluster.start', peers: 1, kind: 'kv' })).rejects.toThrow(/stop the cluster before changing its kind/);
    await expect(api({ type: 'dht.store', peer: idOf(2), file: 'a912' })).rejects.toThrow('a file name is four digits');
    await expect(manager.dht.request(idOf(2), '32134')).rejects.toThrow('"32134" is not a file name: a file name is exactly four digits, 0000 to 9999');
  });

  it('Quit at 9 (peer.stop): 8 and 5 take its successors, and 9 leaves', async () => {
    const since = mark();
    const left = await api({ type: 'peer.stop', peer: idOf(9) });
    expect(left?.state).toBe('left');
    await says(8, ['Peer 9 will depart from the network', 'My new first successor is Peer 14', 'My new second successor is Peer 19'], since);
    await says(5, ['Peer 9 will depart from the network', 'My new first successor is Peer 8', 'My new second successor is Peer 14'], since);
    await ringSettles([2, 4, 5, 8, 14, 19]);
  });

  it('Store 2067 at 8 travels 8 → 14 → 19, each hop\'s console event carrying the route', async () => {
    const since = mark();
    expect(await api({ type: 'dht.store', peer: idOf(8), file: '2067' })).toEqual({ line: 'Store 2067', command: 'store', file: '2067' });
    // Each peer's events reach the journal on their own connection: wait for every hop's.
    await says(8, ['Store 2067 request forwarded to my successor'], since);
    await says(14, ['Store 2067 request forwarded to my successor'], since);
    await says(19, ['Store 2067 request accepted'], since);
    const hops = [8, 14, 19].map((identity) => consoleOf(identity, since).find((event) => event.lookup !== undefined));
    expect(hops.map((event) => [event?.text, event?.lookup])).toEqual([
      ['Store 2067 request forwarded to my successor', { operation: 'store', file: '2067', route: [8], hops: 0 }],
      ['Store 2067 request forwarded to my successor', { operation: 'store', file: '2067', route: [8, 14], hops: 1 }],
      ['Store 2067 request accepted', { operation: 'store', file: '2067', route: [8, 14, 19], hops: 2 }],
    ]);
    expect((await api({ type: 'dht.inspect', peer: idOf(19) })).files).toEqual(['2067']);
  });

  it('peer 15 joins through 4 (peer.add) with the spec\'s lines, and answers once accepted', async () => {
    const since = mark();
    const joined = await api({ type: 'peer.add', identity: 15, via: idOf(4) });
    expect(joined).toMatchObject({ identity: 15, state: 'running' });
    expect(linesOf(15, since)).toContain('Join request has been accepted');
    await says(15, ['Join request has been accepted', 'My first successor is Peer 19', 'My second successor is Peer 2'], since);
    await says(14, ['Peer 15 Join request received', 'My new first successor is Peer 15', 'My new second successor is Peer 19'], since);
    for (const identity of [4, 5, 8]) await says(identity, ['Peer 15 Join request forwarded to my successor'], since);
    await ringSettles([2, 4, 5, 8, 14, 15, 19]);
    await expect(api({ type: 'peer.add', identity: 15 })).rejects.toThrow('peer 15 is in the ring already');
  });

  it('peer 14 is killed (peer.kill): 8 and 5 find it no longer alive and repair their successors', async () => {
    const since = mark();
    const killed = await api({ type: 'peer.kill', peer: idOf(14) });
    expect(killed?.state).toBe('killed');
    await says(8, ['Peer 14 is no longer alive', 'My new first successor is Peer 15', 'My new second successor is Peer 19'], since, REPAIR_MS);
    await says(5, ['Peer 14 is no longer alive', 'My new first successor is Peer 8', 'My new second successor is Peer 15'], since, REPAIR_MS);
    const ring = await ringSettles([2, 4, 5, 8, 15, 19]);
    expect(ring.find((inspection) => inspection.identity === 8)?.successors).toEqual([15, 19]);
    expect(ring.find((inspection) => inspection.identity === 5)?.successors).toEqual([8, 15]);
  });

  it('Request 4103 at 2: 8 sends the 4103.pdf put in its folder, and 2 saves received_4103.pdf byte for byte', async () => {
    const bytes = randomBytes(1_048_576 + 17);
    const put = await api({ type: 'dht.file.put', peer: idOf(8), name: '4103.pdf', contentBase64: bytes.toString('base64') });
    expect(put).toEqual({ peer: idOf(8), name: '4103.pdf', path: join(folder, 'peers', 'peer-8', '4103.pdf'), bytes: bytes.length });
    // 8 owns hash 7 once 5's pings have told it 5 is its predecessor again.
    await waitFor('8 to know 5 as its predecessor', async () => (await api({ type: 'dht.inspect', peer: idOf(8) })).predecessors[0] === 5, { timeoutMs: REPAIR_MS });
    const since = mark();
    expect(await api({ type: 'dht.request', peer: idOf(2), file: '4103' })).toEqual({ line: 'Request 4103', command: 'request', file: '4103' });
    await says(2, ['File request for 4103 has been sent to my successor', 'Peer 8 had File 4103', 'Receiving File 4103 from Peer 8', 'File 4103 received'], since);
    await says(8, ['File 4103 is stored here', 'Sending file 4103 to Peer 2', 'The file has been sent'], since);
    const received = join(folder, 'peers', 'peer-2', 'received_4103.pdf');
    expect(sha256(readFileSync(received))).toBe(sha256(bytes));
    expect(readdirSync(join(folder, 'peers', 'peer-2'))).toEqual(['received_4103.pdf']);
    const inspection = await api({ type: 'dht.inspect', peer: idOf(2) });
    expect(inspection.folder.entries).toEqual([{ name: 'received_4103.pdf', bytes: bytes.length }]);
  });

  it('a sample file and a typed line: dht.file.put without content, dht.type as typed', async () => {
    const put = await api({ type: 'dht.file.put', peer: idOf(19), name: '0255.txt' });
    expect(readFileSync(put.path, 'utf8')).toMatch(/^File 0255, a sample put in peer 19's folder by Ringside\./);
    const since = mark();
    expect(await api({ type: 'dht.type', peer: idOf(4), line: 'Store a912' })).toEqual({ line: 'Store a912', command: 'store', file: 'a912' });
    await says(4, ['"a912" is not a valid file name: a file name is exactly four digits, 0000 to 9999 (nothing was sent)'], since);
    await expect(api({ type: 'dht.type', peer: idOf(4), line: '' })).rejects.toThrow('a blank line types nothing');
    await expect(api({ type: 'dht.inspect', peer: idOf(14) })).rejects.toThrow(/killed: it cannot answer/);
  });

  it('a restarted peer joins again; more peers on a live ring join in the largest gap; pause stops its pings', async () => {
    const since = mark();
    const restarted = await api({ type: 'peer.restart', peer: idOf(14) });
    expect(restarted).toMatchObject({ identity: 14, state: 'running' });
    expect(linesOf(14, since)).toContain('Join request has been accepted');
    const [added] = await api({ type: 'cluster.start', peers: 1 });
    // 19 → 2 is the largest gap of 2, 4, 5, 8, 14, 15, 19.
    expect(added).toMatchObject({ identity: 138, state: 'running' });
    await ringSettles([2, 4, 5, 8, 14, 15, 19, 138]);
    expect((await api({ type: 'peer.pause', peer: idOf(138) }))?.state).toBe('paused');
    await says(19, ['Peer 138 is no longer alive', 'My new first successor is Peer 2', 'My new second successor is Peer 4'], mark(), REPAIR_MS);
    await api({ type: 'peer.kill', peer: idOf(138) });
  });

  it('the session\'s text export holds the console lines, word for word', async () => {
    const text = await api({ type: 'journal.export', format: 'text' });
    for (const line of ['Peer 9 will depart from the network', 'Store 2067 request accepted', 'Join request has been accepted', 'Peer 14 is no longer alive', 'File 4103 received']) {
      expect(text).toContain(line);
    }
  });

  it('stops the whole ring with cluster.stop: every peer quits', async () => {
    const peers = await api({ type: 'cluster.stop' });
    expect(peers.filter((peer) => peer.state === 'running')).toEqual([]);
    expect(peers.find((peer) => peer.identity === 2)?.state).toBe('left');
    // With no peer live, the cluster may change kind.
    manager.configure({ kind: 'kv' });
    expect((await api({ type: 'session' })).kind).toBe('kv');
  });
});

describe('a ring whose port is taken', () => {
  it('fails in words, and leaves no peer of it behind', async () => {
    const portBase = await freePortBase([...REFERENCE_RING]);
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(portBase + 4, '127.0.0.1', resolve));
    const taken = new ClusterManager({ kind: 'dht', dht: { portBase, folder: join(folder, 'taken') } });
    try {
      await expect(taken.start(7)).rejects.toThrow(`port ${portBase + 4} on 127.0.0.1 (peer 4's) is in use`);
      expect(taken.peers()).toEqual([]);
    } finally {
      await taken.shutdown();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
