import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { BroadcastQueue } from '../../src/shared/membership/swim/broadcast-queue.ts';
import { INCARNATION_MAX, MemberTable, SlotRegistry } from '../../src/shared/membership/swim/member-table.ts';
import {
  SWIM_DEFAULTS,
  expectedConfirmations,
  retransmitLimit,
  suspicionMinTicks,
  suspicionTimeoutTicks,
} from '../../src/shared/membership/swim/config.ts';
import type { SwimState, SwimUpdate } from '../../src/shared/protocol/membership.ts';

const address = (k: number): string => `${k}.0.0.0:0`;

function update(member: number, incarnation = 0, kind: SwimState = 'suspect'): SwimUpdate {
  return { kind, member: address(member), incarnation, from: address(99) };
}

function take(queue: BroadcastQueue, countMax = 100, bytesMax = 1_000_000, transmitLimit = 100): SwimUpdate[] {
  const into: SwimUpdate[] = [];
  queue.take(into, countMax, bytesMax, transmitLimit);
  return into;
}

const members = (updates: readonly SwimUpdate[]): string[] => updates.map((u) => u.member);

describe('BroadcastQueue', () => {
  it('takes nothing from an empty queue', () => {
    const queue = new BroadcastQueue(10);
    const into: SwimUpdate[] = [];
    expect(queue.take(into, 10, 1000, 5)).toBe(0);
    expect(into).toEqual([]);
    expect(queue.size).toBe(0);
  });

  it('takes the newest first among updates never sent', () => {
    const queue = new BroadcastQueue(10);
    for (const k of [1, 2, 3]) queue.enqueue(update(k), 50);
    expect(members(take(queue))).toEqual([address(3), address(2), address(1)]);
  });

  it('takes the fewest-transmitted updates first', () => {
    const queue = new BroadcastQueue(10);
    queue.enqueue(update(1), 50);
    queue.enqueue(update(2), 50);
    expect(members(take(queue, 1))).toEqual([address(2)]); // 2 now sent once
    queue.enqueue(update(3), 50);
    expect(members(take(queue))).toEqual([address(3), address(1), address(2)]);
  });

  it('keeps newest first among updates sent equally often, also after they have been sent once', () => {
    const queue = new BroadcastQueue(10);
    for (const k of [1, 2, 3]) queue.enqueue(update(k), 50);
    expect(members(take(queue))).toEqual([address(3), address(2), address(1)]);
    // All three have been sent once: the newest (3) still comes first.
    expect(members(take(queue))).toEqual([address(3), address(2), address(1)]);
  });

  it('takes at most countMax updates per message', () => {
    const queue = new BroadcastQueue(10);
    for (const k of [1, 2, 3, 4, 5]) queue.enqueue(update(k), 50);
    expect(take(queue, 2)).toHaveLength(2);
    expect(take(queue, 0)).toHaveLength(0);
    expect(queue.size).toBe(5);
  });

  it('takes updates whose sizes sum to at most bytesMax, and returns the bytes taken', () => {
    const queue = new BroadcastQueue(10);
    for (const k of [1, 2, 3, 4, 5]) queue.enqueue(update(k), 40);
    const into: SwimUpdate[] = [];
    expect(queue.take(into, 10, 130, 5)).toBe(120);
    expect(members(into)).toEqual([address(5), address(4), address(3)]);
    const none: SwimUpdate[] = [];
    expect(queue.take(none, 10, 39, 5)).toBe(0);
    expect(none).toEqual([]);
  });

  it('retires an update after transmitLimit sends', () => {
    const queue = new BroadcastQueue(10);
    queue.enqueue(update(1), 50);
    for (let i = 0; i < 3; i++) expect(members(take(queue, 10, 1000, 3))).toEqual([address(1)]);
    expect(queue.size).toBe(0);
    expect(take(queue, 10, 1000, 3)).toEqual([]);
  });

  it('replaces an older update about the same member with the newer one', () => {
    const queue = new BroadcastQueue(10);
    queue.enqueue(update(1, 1, 'suspect'), 50);
    queue.enqueue(update(2, 0, 'alive'), 50);
    queue.enqueue(update(1, 2, 'alive'), 50);
    expect(queue.size).toBe(2);
    expect(take(queue)).toEqual([update(1, 2, 'alive'), update(2, 0, 'alive')]);
  });

  it('gives a replacing update a fresh transmit count', () => {
    const queue = new BroadcastQueue(10);
    queue.enqueue(update(1, 1), 50);
    take(queue, 10, 1000, 3);
    take(queue, 10, 1000, 3);
    queue.enqueue(update(1, 2), 50);
    for (let i = 0; i < 3; i++) expect(take(queue, 10, 1000, 3)).toEqual([update(1, 2)]);
    expect(queue.size).toBe(0);
  });

  it('drops the most-sent update when it would hold more than max', () => {
    const queue = new BroadcastQueue(2);
    queue.enqueue(update(1), 50);
    take(queue, 10, 1000, 10); // 1 sent once
    queue.enqueue(update(2), 50);
    queue.enqueue(update(3), 50);
    expect(queue.size).toBe(2);
    expect(members(take(queue))).toEqual([address(3), address(2)]);
  });

  it('never holds more than max live updates and never sends one more than transmitLimit times', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('enqueue' as const), member: fc.integer({ min: 1, max: 12 }), bytes: fc.integer({ min: 1, max: 60 }) }),
      fc.record({
        kind: fc.constant('take' as const),
        countMax: fc.integer({ min: 0, max: 6 }),
        bytesMax: fc.integer({ min: 0, max: 200 }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.array(operation, { maxLength: 300 }), (max, limit, operations) => {
        const queue = new BroadcastQueue(max);
        const sends = new Map<SwimUpdate, number>();
        const bytesOf = new Map<SwimUpdate, number>();
        const current = new Map<string, SwimUpdate>();
        let incarnation = 0;
        for (const op of operations) {
          if (op.kind === 'enqueue') {
            const u = update(op.member, incarnation++);
            bytesOf.set(u, op.bytes);
            current.set(u.member, u);
            queue.enqueue(u, op.bytes);
          } else {
            const into: SwimUpdate[] = [];
            const bytes = queue.take(into, op.countMax, op.bytesMax, limit);
            expect(into.length).toBeLessThanOrEqual(op.countMax);
            expect(bytes).toBe(into.reduce((sum, u) => sum + (bytesOf.get(u) ?? 0), 0));
            expect(bytes).toBeLessThanOrEqual(op.bytesMax);
            expect(new Set(members(into)).size).toBe(into.length);
            for (const u of into) {
              expect(current.get(u.member)).toBe(u); // never a replaced update
              sends.set(u, (sends.get(u) ?? 0) + 1);
              expect(sends.get(u)).toBeLessThanOrEqual(limit);
            }
          }
          expect(queue.size).toBeLessThanOrEqual(max);
          expect(queue.size).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('counts every live update in size when nothing is dropped, through many replacements', () => {
    const queue = new BroadcastQueue(4);
    for (let i = 0; i < 1000; i++) queue.enqueue(update((i % 3) + 1, i), 10);
    expect(queue.size).toBe(3);
    expect(take(queue)).toEqual([update(1, 999), update(3, 998), update(2, 997)]);
  });
});

describe('SlotRegistry', () => {
  it('gives each id a stable small slot and maps it back', () => {
    const registry = new SlotRegistry();
    expect(registry.slotOf(address(5))).toBe(0);
    expect(registry.slotOf(address(3))).toBe(1);
    expect(registry.slotOf(address(5))).toBe(0);
    expect(registry.idOf(1)).toBe(address(3));
    expect(registry.size).toBe(2);
  });

  it('finds without registering', () => {
    const registry = new SlotRegistry();
    expect(registry.find(address(1))).toBeUndefined();
    expect(registry.size).toBe(0);
    expect(() => registry.idOf(0)).toThrow();
  });
});

describe('MemberTable', () => {
  it('adds rows with set and counts them by state', () => {
    const table = new MemberTable(new SlotRegistry());
    table.set(0, 'alive', 0, 1);
    table.set(1, 'alive', 3, 2);
    table.set(2, 'suspect', 1, 3);
    expect(table.length).toBe(3);
    expect(table.count('alive')).toBe(2);
    expect(table.count('suspect')).toBe(1);
    expect(table.count('dead')).toBe(0);
    expect(table.state(1)).toBe('alive');
    expect(table.incarnation(1)).toBe(3);
    expect(table.sinceTick(2)).toBe(3);
    expect(table.state(3)).toBeUndefined();
  });

  it('moves a row between state counts when its state changes, without adding a row', () => {
    const table = new MemberTable(new SlotRegistry());
    table.set(0, 'alive', 0, 1);
    table.set(0, 'suspect', 0, 5);
    expect(table.length).toBe(1);
    expect(table.count('alive')).toBe(0);
    expect(table.count('suspect')).toBe(1);
    expect(table.sinceTick(0)).toBe(5);
  });

  it('keeps sinceTick when only the incarnation changes', () => {
    const table = new MemberTable(new SlotRegistry());
    table.set(0, 'alive', 0, 1);
    table.set(0, 'alive', 4, 9);
    expect(table.incarnation(0)).toBe(4);
    expect(table.sinceTick(0)).toBe(1);
    expect(table.count('alive')).toBe(1);
  });

  it('forgets a row with delete and keeps the others', () => {
    const table = new MemberTable(new SlotRegistry());
    for (let slot = 0; slot < 5; slot++) table.set(slot, 'alive', slot, 0);
    table.set(2, 'dead', 2, 7);
    table.delete(2);
    expect(table.length).toBe(4);
    expect(table.state(2)).toBeUndefined();
    expect(table.count('dead')).toBe(0);
    expect(table.count('alive')).toBe(4);
    const slots = Array.from({ length: table.length }, (_, i) => table.slotAt(i));
    expect(new Set(slots)).toEqual(new Set([0, 1, 3, 4]));
    table.delete(2);
    expect(table.length).toBe(4);
  });

  it('adds a deleted slot back as a new row', () => {
    const table = new MemberTable(new SlotRegistry());
    table.set(0, 'alive', 0, 0);
    table.set(1, 'alive', 0, 0);
    table.delete(0);
    table.set(0, 'suspect', 1, 9);
    expect(table.length).toBe(2);
    expect(table.count('suspect')).toBe(1);
    expect(new Set([table.slotAt(0), table.slotAt(1)])).toEqual(new Set([0, 1]));
  });

  it('grows past its initial capacity', () => {
    const table = new MemberTable(new SlotRegistry());
    expect(table.state(1000)).toBeUndefined();
    table.set(1000, 'left', 7, 3);
    table.set(5, 'alive', 1, 3);
    expect(table.state(1000)).toBe('left');
    expect(table.incarnation(1000)).toBe(7);
    expect(table.length).toBe(2);
  });

  it('keeps the largest incarnation that fits beside the state, and refuses a larger one', () => {
    const table = new MemberTable(new SlotRegistry());
    table.set(0, 'suspect', INCARNATION_MAX, 0);
    expect(table.incarnation(0)).toBe(INCARNATION_MAX);
    expect(table.state(0)).toBe('suspect');
    expect(() => table.set(0, 'alive', INCARNATION_MAX + 1, 0)).toThrow();
  });

  it('keeps the same set of slots when shuffled', () => {
    const table = new MemberTable(new SlotRegistry());
    for (let slot = 0; slot < 20; slot++) table.set(slot, 'alive', 0, 0);
    const before = Array.from({ length: table.length }, (_, i) => table.slotAt(i));
    let state = 7;
    table.shuffle((n) => (state = (state * 31 + 11) % 1009) % n);
    const after = Array.from({ length: table.length }, (_, i) => table.slotAt(i));
    expect(after).not.toEqual(before);
    expect([...after].sort((a, b) => a - b)).toEqual([...before].sort((a, b) => a - b));
  });

  it('agrees with a simple model through any sequence of set, delete and shuffle', () => {
    const states: SwimState[] = ['alive', 'suspect', 'dead', 'left'];
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        slot: fc.integer({ min: 0, max: 40 }),
        state: fc.constantFrom(...states),
        incarnation: fc.nat({ max: 100 }),
      }),
      fc.record({ kind: fc.constant('delete' as const), slot: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ kind: fc.constant('shuffle' as const), seed: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
        const table = new MemberTable(new SlotRegistry());
        const model = new Map<number, { state: SwimState; incarnation: number }>();
        operations.forEach((op, tick) => {
          if (op.kind === 'set') {
            table.set(op.slot, op.state, op.incarnation, tick);
            model.set(op.slot, { state: op.state, incarnation: op.incarnation });
          } else if (op.kind === 'delete') {
            table.delete(op.slot);
            model.delete(op.slot);
          } else {
            let state = op.seed;
            table.shuffle((n) => {
              state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
              return state % n;
            });
          }
        });
        expect(table.length).toBe(model.size);
        const slots = Array.from({ length: table.length }, (_, i) => table.slotAt(i));
        expect(new Set(slots)).toEqual(new Set(model.keys()));
        expect(slots.length).toBe(new Set(slots).size);
        for (const state of states) {
          expect(table.count(state)).toBe([...model.values()].filter((row) => row.state === state).length);
        }
        for (const [slot, row] of model) {
          expect(table.state(slot)).toBe(row.state);
          expect(table.incarnation(slot)).toBe(row.incarnation);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('SWIM config formulas', () => {
  const config = SWIM_DEFAULTS;

  it('gives suspicionMinTicks = ceil(4 × log10(11) × 10) = 42 for N = 10 with the defaults', () => {
    expect(suspicionMinTicks(config, 10)).toBe(Math.ceil(4 * Math.log10(11) * 10));
    expect(suspicionMinTicks(config, 10)).toBe(42);
  });

  it('never scales the minimum below suspicionMult × probeIntervalTicks for small groups', () => {
    expect(suspicionMinTicks(config, 1)).toBe(40);
    expect(suspicionMinTicks(config, 3)).toBe(40);
    expect(suspicionMinTicks(config, 99)).toBe(80);
  });

  it('makes an unconfirmed suspicion wait suspicionMaxTimeoutMult × the minimum', () => {
    expect(suspicionTimeoutTicks(config, 10, 0)).toBe(6 * 42);
    expect(suspicionTimeoutTicks({ ...config, suspicionMaxTimeoutMult: 3 }, 10, 0)).toBe(3 * 42);
  });

  it('brings a suspicion down to the minimum after k confirmations, and not below', () => {
    const k = expectedConfirmations(config, 10);
    expect(k).toBe(2);
    expect(suspicionTimeoutTicks(config, 10, k)).toBe(42);
    expect(suspicionTimeoutTicks(config, 10, k + 5)).toBe(42);
  });

  it('shortens the timeout with each confirmation, logarithmically', () => {
    const one = suspicionTimeoutTicks(config, 10, 1);
    expect(one).toBe(Math.floor(252 - (Math.log(2) / Math.log(3)) * (252 - 42)));
    expect(one).toBeLessThan(252);
    expect(one).toBeGreaterThan(42);
    const larger = { ...config, suspicionMult: 6 }; // k = 4
    const timeouts = [0, 1, 2, 3, 4].map((c) => suspicionTimeoutTicks(larger, 50, c));
    for (let i = 1; i < timeouts.length; i++) expect(timeouts[i]).toBeLessThan(timeouts[i - 1]!);
    expect(timeouts[4]).toBe(suspicionMinTicks(larger, 50));
  });

  it('expects k = 0 confirmations in tiny groups, where the timeout is the minimum', () => {
    expect(expectedConfirmations(config, 2)).toBe(0);
    expect(expectedConfirmations(config, 3)).toBe(0);
    expect(expectedConfirmations(config, 4)).toBe(2);
    expect(suspicionTimeoutTicks(config, 3, 0)).toBe(suspicionMinTicks(config, 3));
  });

  it('piggybacks each update retransmitMult × ceil(log10(N + 1)) times: 8 for N = 10', () => {
    expect(retransmitLimit(config, 10)).toBe(8);
    expect(retransmitLimit(config, 9)).toBe(4);
    expect(retransmitLimit(config, 99)).toBe(8);
    expect(retransmitLimit(config, 100)).toBe(12);
  });
});
