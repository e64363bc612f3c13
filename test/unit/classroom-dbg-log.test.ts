/**
 * The classroom runs' dbg.log holds the lines the template's harness writes itself, with the
 * template's bytes, in the template's places. The expected bytes are copied from dbg.logs the
 * template wrote and from its sources (see `src/shared/sim/scenarios/classroom-application.ts`):
 * - MP1: github.com/ppizarro/coursera, cloud-computing/concepts1/mp1_assignment/dbg.log at
 *   fc050acd0f4011745b67498e8005473d325d6a41, and Application.cpp at df426b9;
 * - MP2: github.com/fade2black/Key-value-store dbg.log at d64f745 (an update test), and
 *   Application.cpp and Log.cpp of github.com/peteshaw/icc2-mp2 at 98769f2.
 */
import { describe, expect, it } from 'vitest';
import { gradeKv } from '../../src/shared/check/kv-grader.ts';
import { gradeMembership, parseDbgLog, type DbgEntry } from '../../src/shared/check/membership-grader.ts';
import { KV_TESTS, runClassroomKv } from '../../src/shared/sim/scenarios/classroom-kv.ts';
import { MEMBERSHIP_SCENARIOS, runClassroomMembership } from '../../src/shared/sim/scenarios/classroom-membership.ts';
import { timeStampTicks } from '../../src/shared/sim/scenarios/classroom-application.ts';

// The first 11 lines of the MP1 template's dbg.log: the magic line, an empty line, and the
// constructor's `APP` for nodes 0-9, node 0's without its address (Log::LOG's first call).
const MP1_OPENING = [
  '131',
  '',
  ' [0] APP',
  ' 2.0.0.0:0 [0] APP',
  ' 3.0.0.0:0 [0] APP',
  ' 4.0.0.0:0 [0] APP',
  ' 5.0.0.0:0 [0] APP',
  ' 6.0.0.0:0 [0] APP',
  ' 7.0.0.0:0 [0] APP',
  ' 8.0.0.0:0 [0] APP',
  ' 9.0.0.0:0 [0] APP',
  ' 10.0.0.0:0 [0] APP',
].join('\n');

// The first 22 lines of the MP2 template's dbg.log: `APP` then `APP MP2` per node.
const MP2_OPENING = [
  '131',
  '',
  ' [0] APP',
  ' 1.0.0.0:0 [0] APP MP2',
  ...[2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((k) => [` ${k}.0.0.0:0 [0] APP`, ` ${k}.0.0.0:0 [0] APP MP2`]),
].join('\n');

/** The log without the lines this issue added (the graders need the crash and operation lines of MP1 and MP2). */
function withoutTemplateOnlyLines(dbgLog: string, keep: RegExp): string {
  return dbgLog
    .split('\n')
    .filter((line) => keep.test(line) || !/ \[\d+\] (APP|APP MP2|@@time=\d+|Node failed at time=\d+)$/.test(line))
    .join('\n');
}

function lineIndex(entries: readonly DbgEntry[], predicate: (entry: DbgEntry) => boolean): number {
  return entries.findIndex(predicate);
}

describe('the template harness lines of the classroom membership dbg.log', () => {
  it('opens with the MP1 template\'s bytes: the magic line, then APP per node, the first without its address', () => {
    for (const scenario of MEMBERSHIP_SCENARIOS) {
      const { dbgLog } = runClassroomMembership({ protocol: 'gossip', scenario, seed: 1 });
      expect(dbgLog.startsWith(`${MP1_OPENING}\n`)).toBe(true);
      // Nothing else is written before the constructor's lines, and only they precede tick 0's.
      const entries = parseDbgLog(dbgLog);
      expect(entries.slice(0, 10).every((entry) => entry.text === 'APP')).toBe(true);
      expect(entries.slice(10).some((entry) => entry.text === 'APP')).toBe(false);
    }
  });

  it('writes @@time=500 under peer 1 once every line of tick 500 and before any later one', () => {
    expect(timeStampTicks(700)).toEqual([500]);
    const run = runClassroomMembership({ protocol: 'gossip', scenario: 'single-failure', seed: 1 });
    expect(run.crashed).not.toContain('1.0.0.0:0');
    const entries = parseDbgLog(run.dbgLog);
    const stamps = entries.filter((entry) => entry.text.startsWith('@@time'));
    expect(stamps.map((entry) => entry.line)).toEqual(['1.0.0.0:0 [500] @@time=500']);
    const at = lineIndex(entries, (entry) => entry.text === '@@time=500');
    expect(entries.slice(0, at).every((entry) => entry.tick <= 500)).toBe(true);
    expect(entries.slice(at + 1).every((entry) => entry.tick > 500)).toBe(true);
  });

  it('writes no @@time line when peer 1 has failed, as the template (node 0 runs no loop)', () => {
    // Seed 6 crashes peer 1 in the single-failure scenario, seed 2 in the multi-failure one.
    for (const [scenario, seed] of [['single-failure', 6], ['multi-failure', 2]] as const) {
      const run = runClassroomMembership({ protocol: 'gossip', scenario, seed });
      expect(run.crashed).toContain('1.0.0.0:0');
      expect(run.dbgLog).not.toContain('@@time');
    }
  });

  it('writes Node failed under each crashed peer at tick 100, with the template\'s two spellings', () => {
    const single = runClassroomMembership({ protocol: 'swim', scenario: 'single-failure', seed: 4 });
    const multi = runClassroomMembership({ protocol: 'swim', scenario: 'multi-failure', seed: 4 });
    const failed = (dbgLog: string): string[] => parseDbgLog(dbgLog).filter((entry) => entry.text.startsWith('Node failed')).map((entry) => entry.line);
    expect(failed(single.dbgLog)).toEqual([`${single.crashed[0]} [100] Node failed at time=100`]);
    expect(failed(multi.dbgLog)).toEqual(multi.crashed.map((id) => `${id} [100] Node failed at time = 100`));
  });

  it('gives the same grades with the harness lines as without them', () => {
    for (const scenario of MEMBERSHIP_SCENARIOS) {
      const { dbgLog } = runClassroomMembership({ protocol: 'gossip', scenario, seed: 8 });
      const grade = gradeMembership(scenario, dbgLog);
      expect(grade.points).toBe(grade.max);
      // Without APP and @@time (the crash lines stay: the grader finds the crashed peers by them).
      const stripped = withoutTemplateOnlyLines(dbgLog, /Node failed/);
      expect(stripped).not.toBe(dbgLog);
      expect(gradeMembership(scenario, stripped)).toEqual(grade);
    }
  });
});

describe('the template harness lines of the classroom key-value dbg.log', () => {
  it('opens with the MP2 template\'s bytes: APP and APP MP2 per node, the first APP without its address', () => {
    for (const test of KV_TESTS) {
      const { dbgLog } = runClassroomKv({ test, seed: 1 });
      expect(dbgLog.startsWith(`${MP2_OPENING}\n`)).toBe(true);
      expect(parseDbgLog(dbgLog).slice(20).some((entry) => entry.text === 'APP' || entry.text === 'APP MP2')).toBe(false);
    }
  });

  it('writes Node failed under each failed peer, 1 at 175, 2 at 225 and 1 at 285, just before the operation line', () => {
    for (const test of ['read', 'update'] as const) {
      for (const seed of [1, 2, 3]) {
        const run = runClassroomKv({ test, seed });
        const crashes = run.events.flatMap((event) => (event.kind === 'peer.crashed' ? [event] : []));
        const entries = parseDbgLog(run.dbgLog);
        const failed = entries.filter((entry) => entry.text.startsWith('Node failed'));
        // One line per crash, in the order of the crashes, at their ticks, under the crashed peer.
        expect(failed.map((entry) => entry.line)).toEqual(crashes.map((crash) => `${crash.peer} [${crash.tick}] Node failed at time=${crash.tick}`));
        expect(failed.map((entry) => entry.tick)).toEqual([175, 225, 225, 285]);
        // As in the template's logs: the tick's failure lines, then at once its operation line.
        const word = test.toUpperCase();
        for (const tick of [175, 225, 285]) {
          const first = lineIndex(entries, (entry) => entry.tick === tick && entry.text.startsWith('Node failed'));
          const count = tick === 225 ? 2 : 1;
          expect(entries.slice(first, first + count).every((entry) => entry.text === `Node failed at time=${tick}`)).toBe(true);
          expect(entries[first + count]?.text).toMatch(new RegExp(`^${word} OPERATION KEY: \\S+ VALUE: \\S+ at time: ${tick}$`));
          expect(entries.slice(0, first).every((entry) => entry.tick <= tick)).toBe(true);
        }
      }
    }
  });

  it('fails, at 285, the first live peer in index order that is not a replica of the key', () => {
    for (const test of ['read', 'update'] as const) {
      for (const seed of [1, 2, 3, 4]) {
        const run = runClassroomKv({ test, seed });
        const entries = parseDbgLog(run.dbgLog);
        const failedAt = (tick: number): string[] => entries.filter((entry) => entry.tick === tick && entry.text.startsWith('Node failed')).map((entry) => entry.address);
        const earlier = [...failedAt(175), ...failedAt(225)];
        const victim = failedAt(285)[0] as string;
        const number = (address: string): number => Number(address.split('.')[0]);
        const key = /KEY: (\S+)/.exec(entries.find((entry) => entry.tick === 285 && entry.text.includes('OPERATION'))?.text ?? '')?.[1];
        // The key's replicas at 285 are the live peers that answer the operation issued then.
        const replicas = new Set(
          entries.filter((entry) => entry.tick >= 285 && entry.text.startsWith(`server: ${test}`) && entry.text.includes(`key=${key},`)).map((entry) => entry.address),
        );
        for (let k = 1; k < number(victim); k++) {
          const address = `${k}.0.0.0:0`;
          expect(earlier.includes(address) || replicas.has(address), `${run.replay}: ${address} was a live non-replica before ${victim}`).toBe(true);
        }
        expect(replicas.has(victim)).toBe(false);
      }
    }
  });

  it('writes @@time=500 under peer 1 when it is alive, after every line up to tick 500, and none when it failed', () => {
    let withStamp = 0;
    let withoutStamp = 0;
    for (const test of KV_TESTS) {
      for (const seed of [1, 2]) {
        const run = runClassroomKv({ test, seed });
        const peerOneFailed = run.events.some((event) => event.kind === 'peer.crashed' && event.peer === '1.0.0.0:0');
        const entries = parseDbgLog(run.dbgLog);
        const stamps = entries.filter((entry) => entry.text.startsWith('@@time'));
        if (peerOneFailed) {
          withoutStamp++;
          expect(stamps, run.replay).toEqual([]);
          continue;
        }
        withStamp++;
        expect(stamps.map((entry) => entry.line)).toEqual(['1.0.0.0:0 [500] @@time=500']);
        const at = lineIndex(entries, (entry) => entry.text === '@@time=500');
        expect(entries.slice(0, at).every((entry) => entry.tick <= 500)).toBe(true);
        expect(entries.slice(at + 1).every((entry) => entry.tick > 500)).toBe(true);
      }
    }
    expect(withStamp).toBeGreaterThan(0);
    expect(withoutStamp).toBeGreaterThan(0);
  });

  it('writes no failure lines in the create and delete tests, which fail nobody', () => {
    for (const test of ['create', 'delete'] as const) expect(runClassroomKv({ test, seed: 2 }).dbgLog).not.toContain('Node failed');
  });

  it('gives full marks, and the same grades with the harness lines as without them', () => {
    for (const test of KV_TESTS) {
      for (const seed of [5, 9]) {
        const { dbgLog, replay } = runClassroomKv({ test, seed });
        const grade = gradeKv(test, dbgLog);
        expect(grade.points, replay).toBe(grade.max);
        const stripped = withoutTemplateOnlyLines(dbgLog, /^$/);
        expect(stripped).not.toBe(dbgLog);
        expect(gradeKv(test, stripped)).toEqual(grade);
      }
    }
  });
});
