/**
 * Key-value throughput, in its own process:
 *   node --expose-gc bench/kv.ts --peers 10 --keys 10000 --operations 200000
 * A 10-peer cluster (SWIM membership, balanced ring, N 3 R 2 W 2) loads `keys` keys, then runs
 * a 50/50 workload of reads and writes over them from random coordinators, `perTick` operations
 * a tick. Writes are puts (one round trip, Dynamo's and Redis's write) or, with `--write update`,
 * conditional updates (a read quorum judges the condition first: two round trips). Prints one
 * JSON line: simulated quorum operations completed per wall-clock second.
 */
import { parseArgs } from 'node:util';
import { RandomStream } from '../src/shared/random/stream.ts';
import { KvCluster } from '../src/shared/sim/kv-cluster.ts';

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '10' },
    keys: { type: 'string', default: '10000' },
    operations: { type: 'string', default: '200000' },
    perTick: { type: 'string', default: '1000' },
    write: { type: 'string', default: 'put' },
  },
});
const peers = Number(values.peers);
const keys = Number(values.keys);
const operations = Number(values.operations);
const perTick = Number(values.perTick);
const write = values.write === 'update' ? 'update' : 'put';

let completed = 0;
let succeeded = 0;
const cluster = new KvCluster({
  protocol: 'swim',
  peers,
  seed: 1,
  onResult: (_, result) => {
    completed++;
    if (result.ok) succeeded++;
  },
});
for (const id of cluster.ids) cluster.start(id);
cluster.runUntil(30);

const random = RandomStream.root('bench-kv');
const members = cluster.members();
let transaction = 0;
const issue = (op: 'create' | 'read' | 'update' | 'put', key: number): void => {
  const coordinator = members[random.index(members.length)] as string;
  cluster.client(coordinator, { transaction: ++transaction, op, key: `key-${key}`, ...(op === 'read' ? {} : { value: `value-${transaction}` }) });
};

// Load the keys.
for (let key = 0; key < keys; key += perTick) {
  for (let index = key; index < Math.min(keys, key + perTick); index++) issue('create', index);
  cluster.runUntil(cluster.now + 1);
}
cluster.runUntil(cluster.now + 20);
const loaded = completed;

// The workload: half reads, half updates.
const started = performance.now();
for (let issued = 0; issued < operations; issued += perTick) {
  for (let index = 0; index < perTick; index++) issue(random.chance(0.5) ? 'read' : write, random.index(keys));
  cluster.runUntil(cluster.now + 1);
}
cluster.runUntil(cluster.now + 20);
const seconds = (performance.now() - started) / 1000;
(globalThis as { gc?: () => void }).gc?.();

console.log(
  JSON.stringify({
    peers,
    keys,
    write,
    operations: completed - loaded,
    succeeded: succeeded - loaded,
    seconds,
    operationsPerSecond: (completed - loaded) / seconds,
    messages: cluster.sim.network.stats.sent,
    peakRssMegabytes: process.resourceUsage().maxRSS / 1024,
    liveHeapMegabytes: process.memoryUsage().heapUsed / 1024 / 1024,
  }),
);
