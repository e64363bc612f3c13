/**
 * The classroom key-value grader (the original `KVStoreGrader.sh`), reading a dbg.log.
 *
 * It applies the original rules, with fields compared exactly where the original used `grep`
 * on whole lines (so a key that happens to be part of another key or value never counts):
 * - create (3): `create success` lines number exactly 4 per `CREATE OPERATION` (3 replicas and
 *   the coordinator), and every created key has exactly 4;
 * - delete (3 + 4): the same for `delete success` and every key deleted but the invalid one;
 *   exactly 4 `delete fail` lines for `invalidKey`;
 * - read and update (40 each): the operation lines, sorted by time, give the times t1..t6 and
 *   the key and value; success lines with that key and value are counted in [t1,t2) (3 or 4),
 *   [t2,t3) (exactly 3: one replica is down), [t4,t5) (3 or 4) and from t5 (3 or 4); fail lines
 *   for the key in [t3,t4) must be exactly 1 (the coordinator: every replica is down), and fail
 *   lines for `invalidKey` from t6, 3 or 4.
 */
import { parseDbgLog } from './membership-grader.ts';
import type { KvTest } from '../sim/scenarios/classroom-kv.ts';

const INVALID_KEY = 'invalidKey';

export interface KvCheck {
  readonly name: string;
  readonly description: string;
  readonly points: number;
  readonly max: number;
  /** What was counted, for the report. */
  readonly counted: string;
}

export interface KvGrade {
  readonly test: KvTest;
  readonly checks: readonly KvCheck[];
  readonly points: number;
  readonly max: number;
}

interface Operation {
  readonly op: string;
  readonly key: string;
  readonly value: string | undefined;
  readonly tick: number;
}

interface Outcome {
  readonly role: 'coordinator' | 'server';
  readonly op: string;
  readonly ok: boolean;
  readonly key: string;
  readonly value: string | undefined;
  readonly tick: number;
}

const OPERATION_LINE = /^(CREATE|READ|UPDATE|DELETE) OPERATION KEY: (\S+)(?: VALUE: (\S+))? at time: (\d+)$/i;
const OUTCOME_LINE = /^(coordinator|server): (create|read|update|delete) (success|fail) at time (\d+), transID=(\d+), key=([^,]*)(?:, value=(.*))?$/i;

function parse(dbgLog: string): { operations: Operation[]; outcomes: Outcome[] } {
  const operations: Operation[] = [];
  const outcomes: Outcome[] = [];
  for (const entry of parseDbgLog(dbgLog)) {
    const operation = OPERATION_LINE.exec(entry.text);
    if (operation !== null) {
      operations.push({ op: (operation[1] as string).toLowerCase(), key: operation[2] as string, value: operation[3], tick: entry.tick });
      continue;
    }
    const outcome = OUTCOME_LINE.exec(entry.text);
    if (outcome !== null) {
      outcomes.push({
        role: (outcome[1] as string).toLowerCase() as 'coordinator' | 'server',
        op: (outcome[2] as string).toLowerCase(),
        ok: (outcome[3] as string).toLowerCase() === 'success',
        tick: entry.tick,
        key: outcome[6] as string,
        value: outcome[7],
      });
    }
  }
  return { operations, outcomes };
}

const REPLICAS = 3;
const REPLICAS_AND_COORDINATOR = REPLICAS + 1;
const QUORUM_AND_COORDINATOR = 3;

export function gradeKv(test: KvTest, dbgLog: string): KvGrade {
  const { operations, outcomes } = parse(dbgLog);
  const checks = test === 'create' ? gradeCreate(operations, outcomes) : test === 'delete' ? gradeDelete(operations, outcomes) : gradeReadOrUpdate(test, operations, outcomes);
  return {
    test,
    checks,
    points: checks.reduce((sum, check) => sum + check.points, 0),
    max: checks.reduce((sum, check) => sum + check.max, 0),
  };
}

function gradeCreate(operations: readonly Operation[], outcomes: readonly Outcome[]): KvCheck[] {
  const creates = operations.filter((operation) => operation.op === 'create');
  const successes = outcomes.filter((outcome) => outcome.op === 'create' && outcome.ok);
  const expected = creates.length * REPLICAS_AND_COORDINATOR;
  const everyKey = creates.every((create) => successes.filter((success) => success.key === create.key).length === REPLICAS_AND_COORDINATOR);
  const passed = creates.length > 0 && successes.length === expected && everyKey;
  return [
    {
      name: 'TEST 1',
      description: 'Create 3 replicas of every key',
      points: passed ? 3 : 0,
      max: 3,
      counted: `create_success_count ${successes.length}\nexpected_count ${expected}`,
    },
  ];
}

function gradeDelete(operations: readonly Operation[], outcomes: readonly Outcome[]): KvCheck[] {
  const deletes = operations.filter((operation) => operation.op === 'delete');
  const valid = deletes.filter((operation) => operation.key !== INVALID_KEY);
  const successes = outcomes.filter((outcome) => outcome.op === 'delete' && outcome.ok);
  const everyKey = valid.every((operation) => successes.filter((success) => success.key === operation.key).length === REPLICAS_AND_COORDINATOR);
  const deleted = valid.length > 0 && successes.length === (deletes.length - 1) * REPLICAS_AND_COORDINATOR && everyKey;
  const invalidFails = outcomes.filter((outcome) => outcome.op === 'delete' && !outcome.ok && outcome.key === INVALID_KEY).length;
  return [
    { name: 'TEST 1', description: 'Delete 3 replicas of every key', points: deleted ? 3 : 0, max: 3, counted: `delete_success_count ${successes.length}` },
    { name: 'TEST 2', description: 'Attempt delete of an invalid key', points: invalidFails === 4 ? 4 : 0, max: 4, counted: `invalid_key_fail_count ${invalidFails}` },
  ];
}

function gradeReadOrUpdate(test: 'read' | 'update', operations: readonly Operation[], outcomes: readonly Outcome[]): KvCheck[] {
  const word = test === 'read' ? 'Read' : 'Update';
  const verb = test === 'read' ? 'read' : 'updated';
  const ops = operations.filter((operation) => operation.op === test).sort((a, b) => a.tick - b.tick);
  const times = ops.map((operation) => operation.tick);
  const [t1, t2, t3, t4, t5, t6] = [0, 1, 2, 3, 4, 5].map((index) => times[index] ?? Number.POSITIVE_INFINITY) as [number, number, number, number, number, number];
  const first = ops[0];
  const key = first?.key;
  const value = first?.value;
  const successes = outcomes.filter((outcome) => outcome.op === test && outcome.ok && outcome.key === key && outcome.value === value);
  const within = (list: readonly Outcome[], from: number, to: number): number => list.filter((outcome) => outcome.tick >= from && outcome.tick < to).length;
  const fails = outcomes.filter((outcome) => outcome.op === test && !outcome.ok);
  const keyFails = fails.filter((outcome) => outcome.key === key);
  const invalidFails = fails.filter((outcome) => outcome.key === INVALID_KEY);

  const quorumOrAll = (count: number): boolean => count === QUORUM_AND_COORDINATOR || count === REPLICAS_AND_COORDINATOR;
  const counts = {
    first: within(successes, t1, t2),
    second: within(successes, t2, t3),
    thirdFails: within(keyFails, t3, t4),
    stabilized: within(successes, t4, t5),
    fourth: within(successes, t5, Number.POSITIVE_INFINITY),
    invalid: within(invalidFails, t6, Number.POSITIVE_INFINITY),
  };
  const check = (name: string, description: string, passed: boolean, max: number, counted: number): KvCheck => ({
    name,
    description,
    points: key !== undefined && passed ? max : 0,
    max,
    counted: `count ${counted}`,
  });
  return [
    check('TEST 1', `${word} a key. Check for correct value being ${verb} at least in quorum of replicas`, quorumOrAll(counts.first), 3, counts.first),
    check('TEST 2', `${word} a key after failing a replica. Check for correct value being ${verb} at least in quorum of replicas`, counts.second === QUORUM_AND_COORDINATOR, 9, counts.second),
    check('TEST 3 PART 1', `${word} a key after failing two replicas. ${word} should fail`, counts.thirdFails === 1, 9, counts.thirdFails),
    check('TEST 3 PART 2', `${word} the key after allowing stabilization protocol to kick in. Check for correct value being ${verb} at least in quorum of replicas`, quorumOrAll(counts.stabilized), 10, counts.stabilized),
    check('TEST 4', `${word} a key after failing a non-replica. Check for correct value being ${verb} at least in quorum of replicas`, quorumOrAll(counts.fourth), 6, counts.fourth),
    check('TEST 5', `Attempt ${test} of an invalid key`, quorumOrAll(counts.invalid), 3, counts.invalid),
  ];
}

const TITLES: Readonly<Record<KvTest, string>> = { create: 'CREATE TEST', delete: 'DELETE TEST', read: 'READ TEST', update: 'UPDATE TEST' };

/** The grader's report, laid out as KVStoreGrader.sh printed it. */
export function formatKvGrades(grades: readonly KvGrade[]): string {
  const lines: string[] = [];
  for (const grade of grades) {
    lines.push('', '############################', ` ${TITLES[grade.test]}`, '############################', '');
    for (const check of grade.checks) {
      lines.push(`${check.name}: ${check.description}`);
      if (grade.test === 'create') lines.push(check.counted);
    }
    for (const check of grade.checks) lines.push(`${check.name} SCORE..................: ${check.points} / ${check.max}`);
  }
  const points = grades.reduce((sum, grade) => sum + grade.points, 0);
  const max = grades.reduce((sum, grade) => sum + grade.max, 0);
  lines.push('', `TOTAL GRADE: ${points} / ${max}`, '');
  return lines.join('\n');
}
