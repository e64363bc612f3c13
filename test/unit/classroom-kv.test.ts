import { describe, expect, it } from 'vitest';
import { formatKvGrades, gradeKv } from '../../src/shared/check/kv-grader.ts';
import { KV_TESTS, runClassroomKv } from '../../src/shared/sim/scenarios/classroom-kv.ts';

// A sample of seeds; `ringside grade kv --seeds 1-100` runs them all.
const SEEDS = [1, 2, 7, 23, 64, 100];

describe('the classroom key-value tests', () => {
  for (const test of KV_TESTS) {
    it(`score full marks on the ${test} test for a sample of seeds`, () => {
      for (const seed of SEEDS) {
        const run = runClassroomKv({ test, seed });
        const grade = gradeKv(test, run.dbgLog);
        expect(grade.points, `${run.replay}\n${formatKvGrades([grade])}`).toBe(grade.max);
      }
    });
  }

  it('writes the classroom lines: the operation, then server and coordinator outcomes', () => {
    const { dbgLog } = runClassroomKv({ test: 'read', seed: 3 });
    const lines = dbgLog.split('\n');
    expect(lines.filter((line) => / \[100\] CREATE OPERATION KEY: \S{5} VALUE: value\d+ at time: 100$/.test(line))).toHaveLength(100);
    expect(lines.filter((line) => /\[\d+\] server: create success at time 1\d\d, transID=\d+, key=\S{5}, value=value\d+$/.test(line))).toHaveLength(300);
    expect(lines.filter((line) => /coordinator: create success at time 1\d\d, transID=\d+, key=\S{5}, value=value\d+$/.test(line))).toHaveLength(100);
    expect(lines.some((line) => / READ OPERATION KEY: invalidKey at time: 285$/.test(line))).toBe(true);
    expect(lines.some((line) => /coordinator: read fail at time \d+, transID=\d+, key=invalidKey$/.test(line))).toBe(true);
  });

  it('never logs stabilization as a client operation', () => {
    const { events } = runClassroomKv({ test: 'read', seed: 5 });
    const handoffs = events.filter((event) => event.kind === 'store.changed');
    expect(handoffs.length).toBeGreaterThan(0);
    const successes = events.flatMap((event) => ((event.kind === 'kv.replica' || event.kind === 'kv.result') && event.ok ? [event] : []));
    // Only the 100 creates (4 lines each) and the test's own operations succeed: no handoff does.
    expect(successes.filter((event) => event.op === 'create')).toHaveLength(400);
    expect(successes.filter((event) => event.op !== 'create' && event.op !== 'read')).toEqual([]);
  });
});
