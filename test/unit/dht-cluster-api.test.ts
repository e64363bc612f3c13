/**
 * The circular DHT's part of the cluster API, without peer processes: the commands' schemas, the
 * bridge functions that build them, how a new ring's identities and starts are planned, and the
 * manager refusing the other kind's commands in words.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterManager, DHT_COMMAND_ON_KV, KV_COMMAND_ON_DHT } from '../../src/main/cluster/manager.ts';
import { runApiCommand } from '../../src/main/server/api.ts';
import { CAPABILITIES } from '../../src/shared/api/bridge.ts';
import { apiCommandSchema, DHT_PUT_CONTENT_BASE64_MAX, type ApiCommand } from '../../src/shared/api/cluster-api.ts';
import { freeIdentity, initStarts, newRingIdentities, REFERENCE_RING } from '../../src/shared/dht/ring-plan.ts';

const managers: ClusterManager[] = [];
function newManager(options: ConstructorParameters<typeof ClusterManager>[0] = {}): ClusterManager {
  const manager = new ClusterManager(options);
  managers.push(manager);
  return manager;
}
afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.shutdown()));
});

function problem(command: unknown): string | undefined {
  const parsed = apiCommandSchema.safeParse(command);
  return parsed.success ? undefined : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
}

describe('the DHT commands of the cluster API', () => {
  it('are built by one bridge function each, and parse', () => {
    const built = [
      CAPABILITIES.inspectDhtPeer('127.0.0.1:20008'),
      CAPABILITIES.dhtRing(),
      CAPABILITIES.typeDhtLine('127.0.0.1:20008', 'Store 2067'),
      CAPABILITIES.storeDhtFile('127.0.0.1:20008', '2067'),
      CAPABILITIES.requestDhtFile('127.0.0.1:20002', '4103'),
      CAPABILITIES.putDhtFile('127.0.0.1:20008', '4103.pdf', Buffer.from('bytes').toString('base64')),
      CAPABILITIES.putDhtFile('127.0.0.1:20008', '4103.txt'),
      CAPABILITIES.startCluster(7, { kind: 'dht', pingIntervalSeconds: 1, fingers: true }),
      CAPABILITIES.startCluster(3, { kind: 'dht' }, [10, 20, 30]),
      CAPABILITIES.addPeer({ identity: 15, via: '127.0.0.1:20004' }),
      CAPABILITIES.addPeer(),
    ];
    expect(built.map(problem)).toEqual(built.map(() => undefined));
    expect(apiCommandSchema.parse(CAPABILITIES.addPeer())).toEqual({ type: 'peer.add' });
    expect(apiCommandSchema.parse(CAPABILITIES.startCluster(3, { kind: 'dht' }, [10, 20, 30]))).toEqual({ type: 'cluster.start', peers: 3, kind: 'dht', identities: [10, 20, 30] });
    expect(apiCommandSchema.parse(CAPABILITIES.typeDhtLine('a:1', 'Quit'))).toEqual({ type: 'dht.type', peer: 'a:1', line: 'Quit' });
  });

  it('refuse file names that are not four digits, lines that are not one line, and identities off the circle', () => {
    expect(problem({ type: 'dht.store', peer: 'a:1', file: 'a912' })).toBe('file: a file name is four digits');
    expect(problem({ type: 'dht.request', peer: 'a:1', file: '32134' })).toBe('file: a file name is four digits');
    expect(problem({ type: 'dht.type', peer: 'a:1', line: 'Store 2067\nQuit' })).toBe('line: a console line is one line: no line breaks');
    expect(problem({ type: 'dht.type', peer: 'a:1', line: 'x'.repeat(201) })).toBe('line: a console line is at most 200 characters');
    expect(problem({ type: 'dht.file.put', peer: 'a:1', name: '../4103.pdf' })).toMatch(/^name: a file in a peer's folder is named NNNN or NNNN\.ext/);
    expect(problem({ type: 'dht.file.put', peer: 'a:1', name: 'received_4103.pdf' })).toMatch(/^name: /);
    expect(problem({ type: 'dht.file.put', peer: 'a:1', name: '4103.pdf', contentBase64: 'not base64!' })).toBe('contentBase64: contentBase64 is base64');
    expect(problem({ type: 'dht.file.put', peer: 'a:1', name: '4103.pdf', contentBase64: 'A'.repeat(DHT_PUT_CONTENT_BASE64_MAX + 4) })).toBe('contentBase64: a file put through the window is at most 2 MiB');
    expect(problem({ type: 'peer.add', identity: 256 })).toMatch(/^identity: /);
    expect(problem({ type: 'cluster.start', peers: 2, kind: 'chord' })).toMatch(/^kind: /);
    expect(problem({ type: 'cluster.start', peers: 2, pingIntervalSeconds: 0 })).toMatch(/^pingIntervalSeconds: /);
  });
});

describe('a new ring', () => {
  it('of seven is the reference ring, and of others spread evenly round the circle', () => {
    expect(newRingIdentities(7)).toEqual([...REFERENCE_RING]);
    expect(newRingIdentities(4)).toEqual([32, 96, 160, 224]);
    expect(newRingIdentities(1)).toEqual([128]);
    expect(new Set(newRingIdentities(256)).size).toBe(256);
    expect(() => newRingIdentities(0)).toThrow(RangeError);
  });

  it('starts each peer as p2p init with its next two on the circle, as the spec starts its ring', () => {
    expect(initStarts(REFERENCE_RING).map((start) => [start.identity, start.first, start.second])).toEqual([
      [2, 4, 5],
      [4, 5, 8],
      [5, 8, 9],
      [8, 9, 14],
      [9, 14, 19],
      [14, 19, 2],
      [19, 2, 4],
    ]);
    expect(initStarts([7])).toEqual([{ identity: 7, first: 7, second: 7 }]);
    expect(initStarts([200, 10])).toEqual([
      { identity: 10, first: 200, second: 10 },
      { identity: 200, first: 10, second: 200 },
    ]);
  });

  it('gives a peer added without an identity the middle of the largest gap', () => {
    expect(freeIdentity([])).toBe(0);
    expect(freeIdentity([0])).toBe(128);
    expect(freeIdentity([0, 128])).toBe(64);
    // 19 → 2 is the largest gap: 138 is 119 after 19 and 120 before 2.
    expect(freeIdentity(REFERENCE_RING)).toBe(138);
    expect(freeIdentity([0, 128], (identity) => identity !== 64 && identity !== 192)).toBe(63);
    expect(freeIdentity(Array.from({ length: 256 }, (_, identity) => identity))).toBeUndefined();
  });
});

describe('a cluster of one kind', () => {
  it('refuses the other kind\'s commands in words', async () => {
    const kv = newManager();
    const context = { manager: kv, startedAt: Date.now() };
    const run = (command: unknown) => runApiCommand(context, apiCommandSchema.parse(command) as ApiCommand);
    await expect(run({ type: 'dht.ring' })).rejects.toThrow(DHT_COMMAND_ON_KV);
    await expect(run({ type: 'dht.inspect', peer: '127.0.0.1:1' })).rejects.toThrow(DHT_COMMAND_ON_KV);
    await expect(run({ type: 'dht.store', peer: '127.0.0.1:1', file: '2067' })).rejects.toThrow(DHT_COMMAND_ON_KV);
    await expect(run({ type: 'dht.file.put', peer: '127.0.0.1:1', name: '2067.txt' })).rejects.toThrow(DHT_COMMAND_ON_KV);
    await expect(run({ type: 'peer.add', identity: 15 })).rejects.toThrow('identity and via are for circular DHT peers: this is a key-value cluster');
    expect(DHT_COMMAND_ON_KV).toBe("this cluster is a key-value cluster; circular DHT commands need a circular DHT cluster (stop it, then start one of kind 'dht')");

    const dht = newManager({ kind: 'dht' });
    const dhtContext = { manager: dht, startedAt: Date.now() };
    const runDht = (command: unknown) => runApiCommand(dhtContext, apiCommandSchema.parse(command) as ApiCommand);
    await expect(runDht({ type: 'kv', op: 'read', key: 'a' })).rejects.toThrow(KV_COMMAND_ON_DHT);
    await expect(runDht({ type: 'views' })).rejects.toThrow(KV_COMMAND_ON_DHT);
    await expect(runDht({ type: 'peer.inspect', peer: '127.0.0.1:1' })).rejects.toThrow(KV_COMMAND_ON_DHT);
    await expect(runDht({ type: 'faults.set', plan: {} })).rejects.toThrow(KV_COMMAND_ON_DHT);
    await expect(runDht({ type: 'peer.attach', address: '127.0.0.1:1' })).rejects.toThrow(KV_COMMAND_ON_DHT);
    expect(KV_COMMAND_ON_DHT).toMatch(/^this cluster runs the circular DHT; key-value commands need a key-value cluster/);
    // With no peer, a DHT command names what is missing.
    await expect(runDht({ type: 'dht.inspect', peer: '127.0.0.1:1' })).rejects.toThrow('no peer 127.0.0.1:1 in this session (peers: none)');
    await expect(runDht({ type: 'dht.file.put', peer: '127.0.0.1:1', name: '2067.txt' })).rejects.toThrow('no circular DHT peer 127.0.0.1:1 in this session (peers: none)');
    expect(await runDht({ type: 'dht.ring' })).toEqual([]);
  });

  it('chooses its kind and DHT settings while no peer lives, and says so in the session', async () => {
    const manager = newManager();
    const context = { manager, startedAt: Date.now() };
    expect(await runApiCommand(context, { type: 'session' })).toMatchObject({ kind: 'kv', dht: { pingIntervalSeconds: 5, fingers: false } });
    manager.configure({ kind: 'dht', pingIntervalSeconds: 1, fingers: true });
    const session = await runApiCommand(context, { type: 'session' });
    expect(session).toMatchObject({ kind: 'dht', dht: { pingIntervalSeconds: 1, fingers: true } });
    expect(session.dht?.portBase).toBeUndefined();
    expect(() => manager.configure({ pingIntervalSeconds: 0 })).toThrow('a ping interval is more than 0 and at most 3600 s');
    await expect(manager.start(3, { identities: [1, 1, 2] })).rejects.toThrow('the identities must all differ');
    await expect(manager.start(3, { identities: [1, 2] })).rejects.toThrow('give 3 identities for 3 peers, not 2');
  });
});
