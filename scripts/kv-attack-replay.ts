/**
 * Replays one history dumped by `test/unit/kv-attack-ring-changes.test.ts` (KV_ATTACK_DUMP=file)
 * with a full trace: `node --experimental-strip-types scripts/kv-attack-replay.ts FILE [LINE]`
 * (KV_ATTACK_OVERRIDE='{"...": ...}' changes the run's configuration).
 */
import { readFileSync } from 'node:fs';
import type { KvPeer } from '../src/shared/kv/peer.ts';
import { anomalyLines, runAttack, type AttackConfig } from '../test/support/kv-attack.ts';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: scripts/kv-attack-replay.ts FILE [LINE]\n');
  process.exit(2);
}
process.env.KV_ATTACK_LINE ??= process.argv[3] ?? '0';
const lines = readFileSync(file, 'utf8').trim().split('\n');
const { config } = JSON.parse(lines[Number(process.env.KV_ATTACK_LINE ?? 0)] as string) as { config: AttackConfig };
const result = runAttack({ ...config, trace: true, ...(process.env.KV_ATTACK_OVERRIDE ? JSON.parse(process.env.KV_ATTACK_OVERRIDE) : {}) });
console.log(anomalyLines(result.report).join('\n'));
console.log('lenient:', anomalyLines(result.lenientReport).join('\n'));
console.log('stuck:', result.stuck, 'cause:', result.stuckCause, 'hard:', result.stuckHard, 'dataSettled:', result.dataSettled);
console.log('lingering:', result.lingering.join('; '), 'leftovers:', result.leftovers.join('; '));
for (const id of result.cluster.sim.peerIds) {
  const peer = result.cluster.machine(id) as KvPeer | undefined;
  if (peer === undefined) {
    console.log(id, result.cluster.sim.status(id));
    continue;
  }
  console.log(id, result.cluster.sim.status(id), peer.membership.status, 'ring', peer.ring.peers.map((p) => p[0]).join(''), 'transition', peer.transition === undefined ? undefined : `+${peer.transition.joining.join(',')} -${peer.transition.leaving.join(',')}`, 'pendingHandoffs', peer.pendingHandoffs, 'records', peer.records().map((r) => `${r.key}@${r.version.tick}.${r.version.counter}.${r.version.peer[0]}${r.deleted ? 'D' : ''}`).join(' '), 'entries', peer.ringEntries().map((e) => `${e.peer[0]}:${e.status}@${e.stamp}`).join(' '), 'rejected', peer.counters.messagesRejected);
}
