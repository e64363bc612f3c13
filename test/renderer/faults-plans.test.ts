import { describe, expect, test } from 'vitest';
import { describePlanShort, groupsFromPlan, isolateGroups, linkBadge, majorityMinorityGroups, movePeer, normalizeGroups, partitionsFromGroups, planSentences, withLink } from '../../src/renderer/src/lib/fault-plans.ts';
import { NO_FAULTS, type FaultPlan } from '../../src/shared/protocol/faults.ts';

const peers = ['10.0.0.1:7001', '10.0.0.1:7002', '10.0.0.1:7003', '10.0.0.1:7004', '10.0.0.1:7005'];
const [a, b, c, d, e] = peers as [string, string, string, string, string];
const labels = new Map(peers.map((id, index) => [id, `#${index + 1}`]));

describe('fault plans as groups', () => {
  test('the presets: one peer isolated, and the first ⌊(N−1)/2⌋ peers against the rest', () => {
    expect(isolateGroups(peers, c)).toEqual([[a, b, d, e], [c]]);
    expect(majorityMinorityGroups(peers)).toEqual([
      [a, b],
      [c, d, e],
    ]);
    expect(majorityMinorityGroups(peers.slice(0, 4))).toEqual([[a], [b, c, d]]);
  });

  test('groups read back from the plan they make, one-way included (sources first)', () => {
    const oneWay: FaultPlan = { ...NO_FAULTS, partitions: partitionsFromGroups([[d, e], [a, b, c]], true) };
    expect(groupsFromPlan(oneWay, peers)).toEqual({ groups: [[d, e], [a, b, c]], oneWay: true, exact: true });
    expect(groupsFromPlan(NO_FAULTS, peers)).toEqual({ groups: [peers], oneWay: false, exact: true });
  });

  test('a plan the groups cannot draw exactly says so', () => {
    // #1 and #2 cannot talk, but both reach #3: no grouping makes that.
    const plan: FaultPlan = { ...NO_FAULTS, partitions: [{ sources: [a], targets: [b], oneWay: false }] };
    expect(groupsFromPlan(plan, peers).exact).toBe(false);
  });

  test('moving a peer drops groups left empty; normalizing places every live peer once', () => {
    expect(movePeer([[a, b], [c]], c, 0)).toEqual([[a, b, c]]);
    expect(movePeer([[a, b, c]], a, 5)).toEqual([[b, c], [a]]);
    expect(normalizeGroups([[a, 'gone:1', a], [b]], [a, b, c])).toEqual([[a, c], [b]]);
  });

  test('a link override replaces its earlier one; an empty override removes it; 0 is an override', () => {
    let plan = withLink(NO_FAULTS, a, b, { loss: 0.2 });
    plan = withLink(plan, a, b, { loss: 0, delay: { kind: 'constant', ms: 30 } });
    expect(plan.links).toEqual([{ from: a, to: b, loss: 0, delay: { kind: 'constant', ms: 30 } }]);
    expect(linkBadge(plan.links[0])).toBe('0% 30ms');
    expect(withLink(plan, a, b, undefined).links).toEqual([]);
  });
});

describe('the plan in words', () => {
  const plan: FaultPlan = {
    loss: 0.05,
    duplicate: 0,
    delay: { kind: 'exponential', meanMs: 40, maxMs: 400 },
    links: [{ from: a, to: e, loss: 0.5 }],
    partitions: [{ sources: [a, b], targets: [c, d, e], oneWay: false }],
  };

  test('one line, with peer numbers and percentages', () => {
    expect(describePlanShort(plan, labels)).toBe('loss 5%; delay exponential 40 ms (max 400 ms); #1 -> #5: loss 50%; partition #1,#2 | #3,#4,#5');
  });

  test('one sentence per fault', () => {
    expect(planSentences(plan, labels)).toEqual([
      'Every link drops 5% of the messages sent on it.',
      'Every message is delayed exponential 40 ms (max 400 ms).',
      'Partition: {#1 #2} and {#3 #4 #5} cannot reach each other.',
      'Link #1 → #5 drops 50%.',
    ]);
  });

  test('an address that merely starts like a known one is left alone', () => {
    const longer = '10.0.0.1:70012';
    expect(describePlanShort({ ...NO_FAULTS, partitions: [{ sources: [a], targets: [longer], oneWay: true }] }, labels)).toBe(`partition #1 -> ${longer}`);
  });
});
