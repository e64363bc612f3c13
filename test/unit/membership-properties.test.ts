import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { MEMBERSHIP_PROTOCOLS } from '../../src/shared/membership/types.ts';
import { MembershipCluster } from '../../src/shared/sim/membership-cluster.ts';

const PEERS = 6;
/** Measured: after healing, 300 random schedules converged within 57 (gossip) and 48 (SWIM) ticks. */
const HEAL_WITHIN_TICKS = 200;

type Action =
  | { kind: 'crash' | 'restart' | 'leave'; peer: number; gapTicks: number }
  | { kind: 'partition'; split: number; oneWay: boolean; gapTicks: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constantFrom('crash', 'restart', 'leave'), peer: fc.integer({ min: 0, max: PEERS - 1 }), gapTicks: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ kind: fc.constant('partition'), split: fc.integer({ min: 1, max: PEERS - 1 }), oneWay: fc.boolean(), gapTicks: fc.integer({ min: 1, max: 60 }) }),
) as fc.Arbitrary<Action>;

function converged(cluster: MembershipCluster): boolean {
  const running = cluster.ids.filter((id) => cluster.sim.status(id) === 'running');
  return running.every((observer) => {
    const machine = cluster.machine(observer);
    return machine?.status === 'member' && machine.memberCount() === running.length && running.every((id) => machine.isMember(id));
  });
}

describe('membership under random faults (property)', () => {
  for (const protocol of MEMBERSHIP_PROTOCOLS) {
    it(`${protocol}: after any crashes, restarts, leaves and partitions under 10 % loss, healing reunites the group within ${HEAL_WITHIN_TICKS} ticks`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(action, { maxLength: 10 }), (seed, actions) => {
          const cluster = new MembershipCluster({ protocol, peers: PEERS, seed, network: { loss: 0.1 } });
          for (const id of cluster.ids) cluster.start(id);
          cluster.runUntil(20);
          for (const step of actions) {
            if (step.kind === 'partition') {
              cluster.sim.network.partition(cluster.ids.slice(0, step.split), cluster.ids.slice(step.split), step.oneWay);
            } else {
              const id = cluster.ids[step.peer] as string;
              const running = cluster.sim.status(id) === 'running';
              if (step.kind === 'restart' && !running) cluster.start(id);
              if (step.kind === 'crash' && running) cluster.crash(id);
              if (step.kind === 'leave' && running) cluster.leave(id);
            }
            cluster.runUntil(cluster.now + step.gapTicks);
          }
          cluster.sim.network.healAll();
          for (const id of cluster.ids) if (cluster.sim.status(id) !== 'running') cluster.start(id);
          const healedAt = cluster.now;
          while (!converged(cluster) && cluster.now - healedAt < HEAL_WITHIN_TICKS) cluster.runUntil(cluster.now + 1);
          expect(converged(cluster), `not converged ${HEAL_WITHIN_TICKS} ticks after healing (seed ${seed})`).toBe(true);
        }),
        { numRuns: 60 },
      );
    });

    it(`${protocol}: without faults, no peer is ever suspected or removed, whenever peers start`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.integer({ min: 0, max: 30 }), { minLength: PEERS, maxLength: PEERS }), (seed, startTicks) => {
          const events: JournalEvent[] = [];
          const cluster = new MembershipCluster({ protocol, peers: PEERS, seed, onEvent: (event) => events.push(event) });
          cluster.ids.forEach((id, index) => cluster.sim.at(startTicks[index] as number, () => cluster.start(id)));
          cluster.runUntil(400);
          expect(events.filter((event) => event.kind === 'member.removed' || event.kind === 'member.suspected')).toEqual([]);
          expect(converged(cluster)).toBe(true);
        }),
        { numRuns: 30 },
      );
    });
  }
});
