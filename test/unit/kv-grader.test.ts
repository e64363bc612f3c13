import { describe, expect, it } from 'vitest';
import { formatKvGrades, gradeKv } from '../../src/shared/check/kv-grader.ts';

const line = (address: string, tick: number, text: string): string => `\n ${address} [${tick}] ${text}`;
const outcome = (role: string, op: string, ok: boolean, tick: number, key: string, value?: string): string =>
  `${role}: ${op} ${ok ? 'success' : 'fail'} at time ${tick}, transID=1, key=${key}${value === undefined ? '' : `, value=${value}`}`;

/** A log in which `key` is created on three servers and a coordinator. */
function created(key: string, value: string, servers = 3): string {
  let log = line('1.0.0.0:0', 100, `CREATE OPERATION KEY: ${key} VALUE: ${value} at time: 100`);
  log += line('1.0.0.0:0', 101, outcome('coordinator', 'create', true, 101, key, value));
  for (let server = 0; server < servers; server++) log += line(`${server + 2}.0.0.0:0`, 101, outcome('server', 'create', true, 101, key, value));
  return log;
}

describe('the classroom key-value grader', () => {
  it('gives the create test its 3 points only when every key has exactly 4 success lines', () => {
    expect(gradeKv('create', `131\n${created('aaaaa', 'value0')}${created('bbbbb', 'value1')}`).points).toBe(3);
    expect(gradeKv('create', `131\n${created('aaaaa', 'value0')}${created('bbbbb', 'value1', 2)}`).points).toBe(0);
    expect(gradeKv('create', `131\n${created('aaaaa', 'value0', 4)}`).points).toBe(0);
  });

  it('matches keys exactly, where the original grep matched a key inside another', () => {
    // "aaaa" is part of "aaaaa": grep would count aaaaa's lines for it.
    const log = `131\n${created('aaaaa', 'value0')}${line('1.0.0.0:0', 100, 'CREATE OPERATION KEY: aaaa VALUE: value1 at time: 100')}`;
    expect(gradeKv('create', log).points).toBe(0);
  });

  it('grades the invalid delete on exactly four fail lines', () => {
    let log = `131\n${created('aaaaa', 'v')}`;
    log += line('1.0.0.0:0', 150, 'DELETE OPERATION KEY: aaaaa at time: 150');
    log += line('1.0.0.0:0', 151, outcome('coordinator', 'delete', true, 151, 'aaaaa'));
    for (const server of [2, 3, 4]) log += line(`${server}.0.0.0:0`, 151, outcome('server', 'delete', true, 151, 'aaaaa'));
    log += line('1.0.0.0:0', 150, 'DELETE OPERATION KEY: invalidKey at time: 150');
    for (const role of ['coordinator', 'server', 'server', 'server']) log += line('1.0.0.0:0', 151, outcome(role, 'delete', false, 151, 'invalidKey'));
    const grade = gradeKv('delete', log);
    expect(grade.checks.map((check) => check.points)).toEqual([3, 4]);
    expect(gradeKv('delete', log.replace(/\n[^\n]*server: delete fail[^\n]*invalidKey$/, '')).checks.map((check) => check.points)).toEqual([3, 0]);
  });

  it('counts read outcomes in the windows the operation times make', () => {
    const key = 'aaaaa';
    let log = `131\n${created(key, 'value0')}`;
    const read = (tick: number, shown = `${key} VALUE: value0`): string => line('1.0.0.0:0', tick, `READ OPERATION KEY: ${shown} at time: ${tick}`);
    const successes = (tick: number, count: number): string => Array.from({ length: count }, (_, index) => line(`${index + 1}.0.0.0:0`, tick + 1, outcome(index === 0 ? 'coordinator' : 'server', 'read', true, tick + 1, key, 'value0'))).join('');
    log += read(150) + successes(150, 4);
    log += read(175) + successes(175, 3);
    log += read(225) + line('1.0.0.0:0', 235, outcome('coordinator', 'read', false, 235, key));
    log += read(275) + successes(275, 4);
    log += read(285) + successes(285, 3);
    log += read(285, 'invalidKey');
    for (const role of ['coordinator', 'server', 'server', 'server']) log += line('1.0.0.0:0', 286, outcome(role, 'read', false, 286, 'invalidKey'));
    const grade = gradeKv('read', log);
    expect(grade.checks.map((check) => check.points)).toEqual([3, 9, 9, 10, 6, 3]);
    expect(grade.points).toBe(40);
    // Four successes while a replica is down is one too many for test 2.
    const tooMany = log.replace(read(225), successes(175, 1) + read(225));
    expect(gradeKv('read', tooMany).checks[1]?.points).toBe(0);
  });

  it('prints the original layout with the total', () => {
    const text = formatKvGrades([gradeKv('create', `131\n${created('aaaaa', 'value0')}`)]);
    expect(text).toBe(
      ['', '############################', ' CREATE TEST', '############################', '', 'TEST 1: Create 3 replicas of every key', 'create_success_count 4', 'expected_count 4', 'TEST 1 SCORE..................: 3 / 3', '', 'TOTAL GRADE: 3 / 3', ''].join('\n'),
    );
  });
});
