/**
 * One membership benchmark run, in its own process so that its peak memory is its own:
 *   node --expose-gc bench/membership.ts --protocol swim --peers 1000 --ticks 700
 * Peers start within the first 10 ticks and join through peer 1; 1 % of messages are lost; two
 * peers crash halfway. Prints one JSON line: work, time (whole run, and its second half, after
 * the join storm), memory, and how well the group did, so a fast run that got the protocol wrong
 * does not look good.
 */
import { parseArgs } from 'node:util';
import type { MembershipProtocol } from '../src/shared/membership/types.ts';
import { MembershipCluster } from '../src/shared/sim/membership-cluster.ts';

const { values } = parseArgs({
  options: {
    protocol: { type: 'string', default: 'swim' },
    peers: { type: 'string', default: '1000' },
    ticks: { type: 'string', default: '700' },
    seed: { type: 'string', default: '1' },
  },
});
const protocol = values.protocol as MembershipProtocol;
const peers = Number(values.peers);
const ticks = Number(values.ticks);

let memberEvents = 0;
const removals = new Map<string, number>();
const cluster = new MembershipCluster({
  protocol,
  peers,
  seed: Number(values.seed),
  network: { loss: 0.01, inFlightMax: 100_000_000 },
  onEvent: (event) => {
    if (!event.kind.startsWith('member.')) return;
    memberEvents++;
    if (event.kind === 'member.removed') removals.set(event.subject, (removals.get(event.subject) ?? 0) + 1);
  },
});
const startSpreadTicks = 10;
cluster.ids.forEach((id, index) => cluster.sim.at(Math.floor((index * startSpreadTicks) / peers), () => cluster.start(id)));
const crashTick = Math.floor(ticks / 2);
const crashed = [cluster.ids[Math.floor(peers / 3)] as string, cluster.ids[Math.floor((2 * peers) / 3)] as string];

const started = performance.now();
cluster.runUntil(crashTick);
const firstHalfSeconds = (performance.now() - started) / 1000;
const firstHalfPeerTicks = cluster.sim.peerTicks;
for (const id of crashed) cluster.crash(id);
cluster.runUntil(ticks);
const seconds = (performance.now() - started) / 1000;

// What the simulation really holds, as opposed to garbage V8 has not collected yet (needs
// --expose-gc; without it the figure includes garbage).
(globalThis as { gc?: () => void }).gc?.();
const liveHeapMegabytes = process.memoryUsage().heapUsed / 1024 / 1024;

// The share of live peers each live peer counts as members (1 = everyone knows everyone).
const live = cluster.ids.filter((id) => cluster.sim.status(id) === 'running');
let knownShare = 0;
for (const observer of live) knownShare += (cluster.machine(observer)?.memberCount() ?? 0) / live.length;

console.log(
  JSON.stringify({
    protocol,
    peers,
    ticks,
    peerTicks: cluster.sim.peerTicks,
    seconds,
    peerTicksPerSecond: cluster.sim.peerTicks / seconds,
    secondHalfPeerTicksPerSecond: (cluster.sim.peerTicks - firstHalfPeerTicks) / (seconds - firstHalfSeconds),
    peakRssMegabytes: process.resourceUsage().maxRSS / 1024,
    liveHeapMegabytes,
    messages: cluster.sim.network.stats.sent,
    memberEvents,
    meanKnownShare: knownShare / live.length,
    crashedRemovedBy: crashed.map((id) => removals.get(id) ?? 0),
    liveRemovals: [...removals].filter(([id]) => !crashed.includes(id)).reduce((sum, [, count]) => sum + count, 0),
  }),
);
