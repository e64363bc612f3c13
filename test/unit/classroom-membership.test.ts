import { describe, expect, it } from 'vitest';
import { gradeMembership } from '../../src/shared/check/membership-grader.ts';
import { MEMBERSHIP_PROTOCOLS } from '../../src/shared/membership/types.ts';
import {
  MEMBERSHIP_SCENARIOS,
  runClassroomMembership,
} from '../../src/shared/sim/scenarios/classroom-membership.ts';

// A sample of seeds; `npm run sweep` runs seeds 1-100 of every scenario and protocol.
const SEEDS = [1, 2, 3, 17, 42, 99];
const delay = { kind: 'uniform', minTicks: 1, maxTicks: 4 } as const;

describe('the classroom membership scenarios', () => {
  for (const protocol of MEMBERSHIP_PROTOCOLS) {
    for (const scenario of MEMBERSHIP_SCENARIOS) {
      it(`${protocol} scores full marks on ${scenario} for a sample of seeds`, () => {
        for (const seed of SEEDS) {
          const run = runClassroomMembership({ protocol, scenario, seed });
          const grade = gradeMembership(scenario, run.dbgLog);
          expect(grade.points, run.replay).toBe(grade.max);
        }
      });

      it(`${protocol} scores full marks on ${scenario} with a 1-4 tick delay added to every message`, () => {
        for (const seed of SEEDS) {
          const run = runClassroomMembership({ protocol, scenario, seed, delay });
          const grade = gradeMembership(scenario, run.dbgLog);
          expect(grade.points, run.replay).toBe(grade.max);
        }
      });
    }
  }

  it('swim never removes a live peer in the message-drop scenario', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const run = runClassroomMembership({ protocol: 'swim', scenario: 'message-drop', seed });
      expect(gradeMembership('message-drop', run.dbgLog).falseRemovals, run.replay).toEqual([]);
    }
  });

  it('gossip removes a crashed peer about TREMOVE ticks after the crash', () => {
    const run = runClassroomMembership({ protocol: 'gossip', scenario: 'single-failure', seed: 7 });
    const grade = gradeMembership('single-failure', run.dbgLog);
    const ticks = grade.detections.map((detection) => detection.afterTicks);
    expect(ticks).toHaveLength(9);
    expect(Math.min(...ticks)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...ticks)).toBeLessThanOrEqual(25);
  });

  it('crashes five consecutive peers starting at index 0-4 in the multi-failure scenario', () => {
    for (const seed of SEEDS) {
      const { crashed } = runClassroomMembership({ protocol: 'gossip', scenario: 'multi-failure', seed });
      const numbers = crashed.map((id) => Number(id.split('.')[0]));
      expect(numbers).toHaveLength(5);
      expect(numbers[0]).toBeGreaterThanOrEqual(1);
      expect(numbers[0]).toBeLessThanOrEqual(5);
      expect(numbers).toEqual(numbers.map((_, index) => (numbers[0] as number) + index));
    }
  });

  it('logs the crash the way the original harness did', () => {
    const single = runClassroomMembership({ protocol: 'gossip', scenario: 'single-failure', seed: 3 });
    expect(single.dbgLog).toContain(` ${single.crashed[0]} [100] Node failed at time=100`);
    const multi = runClassroomMembership({ protocol: 'gossip', scenario: 'multi-failure', seed: 3 });
    expect(multi.dbgLog).toContain(` ${multi.crashed[0]} [100] Node failed at time = 100`);
  });

  it('writes a dbg.log that starts with the magic line, an empty line and the template\'s APP lines', () => {
    const run = runClassroomMembership({ protocol: 'swim', scenario: 'single-failure', seed: 1 });
    expect(run.dbgLog.startsWith('131\n\n [0] APP\n 2.0.0.0:0 [0] APP\n')).toBe(true);
    expect(run.dbgLog).toContain('\n 10.0.0.0:0 [0] APP\n 1.0.0.0:0 [0] Node 1.0.0.0:0 joined at time 0\n');
    expect(run.dbgLog.endsWith('\n')).toBe(false);
  });

  it('gives the same dbg.log for the same seed and a different one for another seed', () => {
    const first = runClassroomMembership({ protocol: 'swim', scenario: 'message-drop', seed: 12 });
    const again = runClassroomMembership({ protocol: 'swim', scenario: 'message-drop', seed: 12 });
    const other = runClassroomMembership({ protocol: 'swim', scenario: 'message-drop', seed: 13 });
    expect(again.dbgLog).toBe(first.dbgLog);
    expect(other.dbgLog).not.toBe(first.dbgLog);
  });
});
