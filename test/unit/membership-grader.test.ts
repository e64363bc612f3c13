import { describe, it, expect } from 'vitest';
import { formatDbgLog } from '../../src/shared/journal/dbg-log.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { formatGrades, gradeMembership, parseDbgLog, type GradeCheck } from '../../src/shared/check/membership-grader.ts';

const PEERS = Array.from({ length: 10 }, (_, i) => i + 1);
const address = (k: number): string => `${k}.0.0.0:0`;

/** Every peer logs every peer joined (itself included, as the original peers did). */
function joins({ self = true, skip = [] as [number, number][] } = {}): JournalEvent[] {
  const events: JournalEvent[] = [];
  for (const observer of PEERS) {
    for (const subject of PEERS) {
      if (!self && observer === subject) continue;
      if (skip.some(([o, s]) => o === observer && s === subject)) continue;
      events.push({ kind: 'member.added', tick: Math.floor(0.25 * (observer - 1)) + 1, peer: address(observer), subject: address(subject) });
    }
  }
  return events;
}

function crash(k: number, text = 'Node failed at time=100', tick = 100): JournalEvent {
  return { kind: 'log', tick, peer: address(k), text };
}

function removal(observer: number, subject: number | string, tick: number): JournalEvent {
  return {
    kind: 'member.removed',
    tick,
    peer: address(observer),
    subject: typeof subject === 'number' ? address(subject) : subject,
  };
}

/** Every peer but `crashed` removes it, at 120 + its index. */
function removalsOf(crashed: number, observers = PEERS.filter((k) => k !== crashed)): JournalEvent[] {
  return observers.map((observer) => removal(observer, crashed, 120 + observer));
}

function checks(grade: { readonly checks: readonly GradeCheck[] }): Record<string, string> {
  return Object.fromEntries(grade.checks.map((check) => [check.name, `${check.points}/${check.max}`]));
}

function multiFailureLog(crashed: readonly number[], extra: JournalEvent[] = [], drop: [number, number][] = []): string {
  const survivors = PEERS.filter((k) => !crashed.includes(k));
  const events: JournalEvent[] = [...joins(), ...crashed.map((k) => crash(k, 'Node failed at time = 100'))];
  for (const observer of survivors) {
    for (const subject of crashed) {
      if (drop.some(([o, s]) => o === observer && s === subject)) continue;
      events.push(removal(observer, subject, 118 + observer));
    }
  }
  return formatDbgLog([...events, ...extra]);
}

describe('parseDbgLog', () => {
  it('skips the magic line and the blank line and reads address, tick and text of each entry', () => {
    const entries = parseDbgLog('131\n\n 4.0.0.0:0 [2] Node 1.0.0.0:0 joined at time 2\n 3.0.0.0:0 [100] Node failed at time=100');
    expect(entries).toEqual([
      { address: '4.0.0.0:0', tick: 2, text: 'Node 1.0.0.0:0 joined at time 2', line: '4.0.0.0:0 [2] Node 1.0.0.0:0 joined at time 2' },
      { address: '3.0.0.0:0', tick: 100, text: 'Node failed at time=100', line: '3.0.0.0:0 [100] Node failed at time=100' },
    ]);
  });

  it('skips lines that are not entries', () => {
    expect(parseDbgLog('131\n\nno leading space [1] x\n  two spaces [1] x\n 1.0.0.0:0 [x] y\n 1.0.0.0:0 [1]')).toEqual([]);
  });
});

describe('gradeMembership: single failure', () => {
  const perfect = formatDbgLog([...joins(), crash(4), ...removalsOf(4)]);

  it('scores a perfect single-failure log 30 out of 30', () => {
    const grade = gradeMembership('single-failure', perfect);
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '10/10', Accuracy: '10/10' });
    expect(grade.points).toBe(30);
    expect(grade.max).toBe(30);
    expect(grade.crashed).toEqual([{ address: '4.0.0.0:0', tick: 100 }]);
    expect(grade.falseRemovals).toEqual([]);
  });

  it('prints the original check lines for a perfect log', () => {
    expect(formatGrades([gradeMembership('single-failure', perfect)])).toBe(
      [
        '============================================',
        'Grading Started',
        '============================================',
        'Single Failure Scenario',
        '============================',
        'Checking Join..................10/10',
        'Checking Completeness..........10/10',
        'Checking Accuracy..............10/10',
        'Final grade 30',
      ].join('\n'),
    );
  });

  it('passes join through 100 distinct observer/joined pairs, self included', () => {
    const grade = gradeMembership('single-failure', formatDbgLog(joins({ self: true })));
    expect(checks(grade).Join).toBe('10/10');
  });

  it('passes join when every observer names the 9 others and no one logs itself', () => {
    const events = joins({ self: false });
    expect(events).toHaveLength(90);
    expect(checks(gradeMembership('single-failure', formatDbgLog(events))).Join).toBe('10/10');
  });

  it('fails join when one observer/joined pair is missing, with self lines', () => {
    const log = formatDbgLog(joins({ self: true, skip: [[5, 6]] }));
    expect(checks(gradeMembership('single-failure', log)).Join).toBe('0/10');
  });

  it('fails join when one observer/joined pair is missing, without self lines', () => {
    const log = formatDbgLog(joins({ self: false, skip: [[10, 1]] }));
    expect(checks(gradeMembership('single-failure', log)).Join).toBe('0/10');
  });

  it('fails join when one observer never logs anything', () => {
    const events = joins({ self: false }).filter((event) => 'peer' in event && event.peer !== address(7));
    expect(checks(gradeMembership('single-failure', formatDbgLog(events))).Join).toBe('0/10');
  });

  it('does not count a repeated join line twice towards the 100 pairs', () => {
    const events = joins({ self: true, skip: [[5, 6]] });
    events.push({ kind: 'member.added', tick: 50, peer: address(5), subject: address(5) });
    expect(checks(gradeMembership('single-failure', formatDbgLog(events))).Join).toBe('0/10');
  });

  it('fails single-failure accuracy when a peer that did not crash is removed, and lists it as a false removal', () => {
    const log = formatDbgLog([...joins(), crash(4), ...removalsOf(4), removal(2, 9, 130)]);
    const grade = gradeMembership('single-failure', log);
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '10/10', Accuracy: '0/10' });
    expect(grade.points).toBe(20);
    expect(grade.falseRemovals).toEqual([{ observer: '2.0.0.0:0', subject: '9.0.0.0:0', tick: 130 }]);
    expect(grade.detections).toHaveLength(9);
  });

  it('fails completeness when fewer than 9 peers remove the crashed one', () => {
    const observers = PEERS.filter((k) => k !== 4 && k !== 8);
    const grade = gradeMembership('single-failure', formatDbgLog([...joins(), crash(4), ...removalsOf(4, observers)]));
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '0/10', Accuracy: '10/10' });
    expect(grade.points).toBe(20);
  });

  it('counts distinct removed lines: the same observer at two ticks makes up for a missing one', () => {
    const observers = PEERS.filter((k) => k !== 4 && k !== 8);
    const log = formatDbgLog([...joins(), crash(4), ...removalsOf(4, observers), removal(2, 4, 199)]);
    expect(checks(gradeMembership('single-failure', log)).Completeness).toBe('10/10');
  });

  it('does not count an identical removed line twice', () => {
    const observers = PEERS.filter((k) => k !== 4 && k !== 8);
    const log = formatDbgLog([...joins(), crash(4), ...removalsOf(4, observers), removal(2, 4, 122)]);
    expect(checks(gradeMembership('single-failure', log)).Completeness).toBe('0/10');
  });

  it('gives no completeness and no accuracy when nothing crashed and nothing was removed', () => {
    const grade = gradeMembership('single-failure', formatDbgLog(joins()));
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '0/10', Accuracy: '0/10' });
    expect(grade.crashed).toEqual([]);
  });

  it('reports each detection with afterTicks = removal tick - crash tick', () => {
    const grade = gradeMembership('single-failure', formatDbgLog([crash(4, 'Node failed at time=100'), removal(1, 4, 121), removal(9, 4, 137)]));
    expect(grade.detections).toEqual([
      { observer: '1.0.0.0:0', subject: '4.0.0.0:0', tick: 121, afterTicks: 21 },
      { observer: '9.0.0.0:0', subject: '4.0.0.0:0', tick: 137, afterTicks: 37 },
    ]);
  });

  it('reports a removal of the crashed peer before its crash as a false removal', () => {
    const grade = gradeMembership('single-failure', formatDbgLog([removal(1, 4, 60), crash(4), removal(2, 4, 120)]));
    expect(grade.falseRemovals).toEqual([{ observer: '1.0.0.0:0', subject: '4.0.0.0:0', tick: 60 }]);
    expect(grade.detections).toEqual([{ observer: '2.0.0.0:0', subject: '4.0.0.0:0', tick: 120, afterTicks: 20 }]);
  });
});

describe('gradeMembership: exact address comparison (the original grep bug)', () => {
  it('scores a perfect log when 1.0.0.0:0 crashes and 10.0.0.0:0 is one of the removers', () => {
    const grade = gradeMembership('single-failure', formatDbgLog([...joins(), crash(1), ...removalsOf(1)]));
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '10/10', Accuracy: '10/10' });
  });

  for (const lookalike of ['10.0.0.0:0', '11.0.0.0:0', '1x0y0z0:0', '21.0.0.0:0']) {
    it(`does not count removals of ${lookalike} as removals of the crashed 1.0.0.0:0`, () => {
      const events = [...joins(), crash(1), ...PEERS.filter((k) => k !== 1).map((k) => removal(k, lookalike, 120 + k))];
      const grade = gradeMembership('single-failure', formatDbgLog(events));
      expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '0/10', Accuracy: '0/10' });
      expect(grade.detections).toEqual([]);
      expect(grade.falseRemovals).toHaveLength(9);
    });
  }

  it('does not count removals of 1.0.0.0:0 as removals of the crashed 10.0.0.0:0', () => {
    const events = [...joins(), crash(10), ...PEERS.filter((k) => k !== 10).map((k) => removal(k, 1, 120 + k))];
    const grade = gradeMembership('single-failure', formatDbgLog(events));
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '0/10', Accuracy: '0/10' });
    expect(grade.detections).toEqual([]);
  });

  it('does not count lines written by the crashed peer as lines naming it', () => {
    // 10.0.0.0:0 wrote 9 distinct removed lines before it crashed: grep would count them all.
    const written = Array.from({ length: 9 }, (_, i) => removal(10, 3, 90 + i));
    const grade = gradeMembership('single-failure', formatDbgLog([...joins(), ...written, crash(10)]));
    expect(checks(grade).Completeness).toBe('0/10');
    expect(grade.detections).toEqual([]);
  });
});

describe('gradeMembership: multi failure', () => {
  const crashed = [3, 4, 5, 6, 7];

  it('scores 30 when each of 5 survivors removes each of the 5 crashed peers once', () => {
    const grade = gradeMembership('multi-failure', multiFailureLog(crashed));
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '10/10', Accuracy: '10/10' });
    expect(grade.crashed.map((crash) => crash.address)).toEqual(crashed.map(address));
    expect(grade.detections).toHaveLength(25);
  });

  it('gives 2 completeness points per crashed peer named by at least 5 lines', () => {
    // 3 is removed by only 4 survivors, 4 by only 3: 3 of 5 crashed peers pass.
    const grade = gradeMembership('multi-failure', multiFailureLog(crashed, [], [[1, 3], [1, 4], [2, 4]]));
    expect(checks(grade).Completeness).toBe('6/10');
  });

  it('gives 2 accuracy points per crashed peer when exactly 20 lines name someone else', () => {
    // 22 lines: 3 is named by 4 (22 - 4 = 18), 4 by 3 (19), 5, 6 and 7 by 5 each (17): no point.
    const none = gradeMembership('multi-failure', multiFailureLog(crashed, [], [[1, 3], [1, 4], [2, 4]]));
    expect(checks(none).Accuracy).toBe('0/10');
    // 24 lines: 3 is named by 4, so 20 lines name someone else (2 points); 4..7 have 19 (none).
    const one = gradeMembership('multi-failure', multiFailureLog(crashed, [], [[1, 3]]));
    expect(checks(one)).toEqual({ Join: '10/10', Completeness: '8/10', Accuracy: '2/10' });
  });

  it('gives no accuracy point when a survivor is removed', () => {
    const grade = gradeMembership('multi-failure', multiFailureLog(crashed, [removal(1, 2, 150)]));
    expect(checks(grade)).toEqual({ Join: '10/10', Completeness: '10/10', Accuracy: '0/10' });
    expect(grade.falseRemovals).toEqual([{ observer: '1.0.0.0:0', subject: '2.0.0.0:0', tick: 150 }]);
  });

  it('reads the crashed peers from the spaced "Node failed at time = 100" lines', () => {
    const grade = gradeMembership('multi-failure', multiFailureLog([8, 9, 10, 1, 2]));
    expect(grade.crashed).toEqual([8, 9, 10, 1, 2].map((k) => ({ address: address(k), tick: 100 })));
    expect(grade.points).toBe(30);
  });
});

describe('gradeMembership: message drop', () => {
  it('is worth 15 for join and 15 for completeness, with no accuracy check', () => {
    const grade = gradeMembership('message-drop', formatDbgLog([...joins(), crash(6), ...removalsOf(6), removal(1, 2, 80)]));
    expect(checks(grade)).toEqual({ Join: '15/15', Completeness: '15/15' });
    expect(grade.points).toBe(30);
    expect(grade.max).toBe(30);
    expect(grade.falseRemovals).toEqual([{ observer: '1.0.0.0:0', subject: '2.0.0.0:0', tick: 80 }]);
  });

  it('gives 0/15 for each check that fails', () => {
    const observers = PEERS.filter((k) => k !== 6 && k !== 1);
    const grade = gradeMembership('message-drop', formatDbgLog([...joins({ skip: [[1, 2]] }), crash(6), ...removalsOf(6, observers)]));
    expect(checks(grade)).toEqual({ Join: '0/15', Completeness: '0/15' });
    expect(grade.points).toBe(0);
    expect(grade.max).toBe(30);
  });
});

describe('formatGrades', () => {
  it('lays out several scenarios as the original did, dots padding every label to 31 characters', () => {
    const single = gradeMembership('single-failure', formatDbgLog([...joins(), crash(4), ...removalsOf(4)]));
    const multi = gradeMembership('multi-failure', multiFailureLog([3, 4, 5, 6, 7], [], [[1, 3]]));
    const drop = gradeMembership('message-drop', formatDbgLog([...joins({ skip: [[1, 2]] }), crash(6), ...removalsOf(6)]));
    const text = formatGrades([single, multi, drop]);
    expect(text).toBe(
      [
        '============================================',
        'Grading Started',
        '============================================',
        'Single Failure Scenario',
        '============================',
        'Checking Join..................10/10',
        'Checking Completeness..........10/10',
        'Checking Accuracy..............10/10',
        '============================================',
        'Multi Failure Scenario',
        '============================',
        'Checking Join..................10/10',
        'Checking Completeness..........8/10',
        'Checking Accuracy..............2/10',
        '============================================',
        'Message Drop Single Failure Scenario',
        '============================',
        'Checking Join..................0/15',
        'Checking Completeness..........15/15',
        'Final grade 65',
      ].join('\n'),
    );
    for (const line of text.split('\n').filter((l) => l.startsWith('Checking'))) {
      expect(line.search(/\d+\/\d+$/)).toBe(31);
    }
  });

  it('prints a final grade of 0 for no scenarios', () => {
    expect(formatGrades([])).toBe(
      ['============================================', 'Grading Started', '============================================', 'Final grade 0'].join('\n'),
    );
  });
});
