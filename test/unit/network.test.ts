import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { RandomStream } from '../../src/shared/random/stream.ts';
import { EmulatedNetwork, NETWORK_DEFAULTS, describeDelay, type DelayModel, type NetworkConfig } from '../../src/shared/sim/network.ts';
import type { DropReason } from '../../src/shared/journal/events.ts';

interface TestMessage {
  readonly id: number;
  readonly bytes: number;
}

const A = '1.0.0.0:0';
const B = '2.0.0.0:0';
const C = '3.0.0.0:0';
const D = '4.0.0.0:0';

function network(config: Partial<NetworkConfig> = {}, seed: number | string = 1): EmulatedNetwork<TestMessage> {
  return new EmulatedNetwork<TestMessage>(RandomStream.root(seed).derive('network'), (message) => message.bytes, config);
}

let nextId = 0;
function message(bytes = 10): TestMessage {
  return { id: nextId++, bytes };
}

/** Takes everything due from `from` to `to` (inclusive) and maps message id to arrival ticks. */
function drain(net: EmulatedNetwork<TestMessage>, from: number, to: number): Map<number, number[]> {
  const arrivals = new Map<number, number[]>();
  for (let tick = from; tick <= to; tick++) {
    for (const envelope of net.takeDue(tick) ?? []) {
      const ticks = arrivals.get(envelope.message.id) ?? [];
      ticks.push(tick);
      arrivals.set(envelope.message.id, ticks);
    }
  }
  return arrivals;
}

describe('EmulatedNetwork: delays', () => {
  it('delivers every message the next tick by default', () => {
    const net = network();
    const sent = message();
    expect(net.send(A, B, sent, 5)).toBeUndefined();
    expect(net.takeDue(5)).toBeUndefined();
    expect(net.takeDue(6)).toEqual([{ from: A, to: B, message: sent, sentTick: 5 }]);
    expect(net.takeDue(6)).toBeUndefined();
  });

  it('delivers at exactly sentTick + delay with a constant delay', () => {
    const net = network({ delay: { kind: 'constant', ticks: 3 } });
    const sent = [message(), message(), message()];
    sent.forEach((m, i) => net.send(A, B, m, 10 + i));
    const arrivals = drain(net, 0, 30);
    expect(sent.map((m) => arrivals.get(m.id))).toEqual([[13], [14], [15]]);
  });

  it('delivers within [min, max] with a uniform delay, reaching both ends', () => {
    const net = network({ delay: { kind: 'uniform', minTicks: 2, maxTicks: 5 } });
    const sent = Array.from({ length: 1000 }, () => message());
    for (const m of sent) net.send(A, B, m, 10);
    const arrivals = drain(net, 0, 40);
    const delays = sent.map((m) => (arrivals.get(m.id) ?? [])[0]! - 10);
    expect(new Set(delays)).toEqual(new Set([2, 3, 4, 5]));
  });

  it('delivers within [1, maxTicks] with an exponential delay', () => {
    const net = network({ delay: { kind: 'exponential', meanTicks: 3, maxTicks: 8 } });
    const sent = Array.from({ length: 1000 }, () => message());
    for (const m of sent) net.send(A, B, m, 0);
    const arrivals = drain(net, 0, 40);
    const delays = sent.map((m) => arrivals.get(m.id)?.[0]);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(1);
      expect(delay).toBeLessThanOrEqual(8);
    }
    expect(delays).toContain(1);
    expect(delays).toContain(8);
  });

  it('holds a reordered message back 1..reorderWindowTicks extra ticks', () => {
    const net = network({ delay: { kind: 'constant', ticks: 2 }, reorder: 1, reorderWindowTicks: 3 });
    const sent = Array.from({ length: 300 }, () => message());
    for (const m of sent) net.send(A, B, m, 0);
    const arrivals = drain(net, 0, 20);
    expect(new Set(sent.map((m) => arrivals.get(m.id)?.[0]))).toEqual(new Set([3, 4, 5]));
  });

  it('never delivers a message in the tick it was sent, whatever the delay model', () => {
    const delayModel: fc.Arbitrary<DelayModel> = fc.oneof(
      fc.integer({ min: 1, max: 5 }).map((ticks) => ({ kind: 'constant' as const, ticks })),
      fc
        .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 }))
        .map(([minTicks, span]) => ({ kind: 'uniform' as const, minTicks, maxTicks: minTicks + span })),
      fc
        .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 10 }))
        .map(([meanTicks, maxTicks]) => ({ kind: 'exponential' as const, meanTicks, maxTicks })),
    );
    fc.assert(
      fc.property(delayModel, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(), (delay, reorder, seed) => {
        const net = network({ delay, reorder }, seed);
        const sent = Array.from({ length: 20 }, () => message());
        sent.forEach((m, i) => net.send(A, B, m, i));
        const arrivals = drain(net, 0, 60);
        sent.forEach((m, i) => {
          const ticks = arrivals.get(m.id);
          expect(ticks).toHaveLength(1);
          expect(ticks![0]).toBeGreaterThan(i);
        });
        expect(net.inFlight).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('returns the messages due in a tick in the order they were sent', () => {
    const net = network();
    const sent = Array.from({ length: 10 }, () => message());
    sent.forEach((m, i) => net.send(i % 2 === 0 ? A : C, B, m, 0));
    expect(net.takeDue(1)?.map((envelope) => envelope.message)).toEqual(sent);
  });
});

describe('EmulatedNetwork: loss, partitions and duplication', () => {
  it('drops close to 30 % of 5,000 messages with loss 0.3', () => {
    const net = network({ loss: 0.3 });
    let lost = 0;
    for (let i = 0; i < 5000; i++) if (net.send(A, B, message(), i) === 'loss') lost++;
    expect(lost).toBeGreaterThan(1350);
    expect(lost).toBeLessThan(1650);
    expect(net.stats.dropped.loss).toBe(lost);
    expect(net.inFlight).toBe(5000 - lost);
  });

  it('drops nothing with loss 0 and everything with loss 1', () => {
    const clean = network({ loss: 0 });
    const dead = network({ loss: 1 });
    for (let i = 0; i < 200; i++) {
      expect(clean.send(A, B, message(), i)).toBeUndefined();
      expect(dead.send(A, B, message(), i)).toBe('loss');
    }
  });

  it('applies a per-link loss only on that directed link', () => {
    const net = network({ loss: 0 });
    net.setLinkFaults(A, B, { loss: 1 });
    for (let i = 0; i < 100; i++) {
      expect(net.send(A, B, message(), i)).toBe('loss');
      expect(net.send(B, A, message(), i)).toBeUndefined();
      expect(net.send(A, C, message(), i)).toBeUndefined();
      expect(net.send(C, B, message(), i)).toBeUndefined();
    }
  });

  it('lets a per-link loss of 0 override a global loss of 1 on that link only', () => {
    const net = network({ loss: 1 });
    net.setLinkFaults(A, B, { loss: 0 });
    for (let i = 0; i < 100; i++) {
      expect(net.send(A, B, message(), i)).toBeUndefined();
      expect(net.send(B, A, message(), i)).toBe('loss');
    }
  });

  it('falls back to the global loss once the link faults are removed', () => {
    const net = network({ loss: 1 });
    net.setLinkFaults(A, B, { loss: 0 });
    net.setLinkFaults(A, B, undefined);
    expect(net.send(A, B, message(), 0)).toBe('loss');
  });

  it('applies a per-link delay only on that directed link', () => {
    const net = network();
    net.setLinkFaults(A, B, { delay: { kind: 'constant', ticks: 7 } });
    const ab = message();
    const ba = message();
    net.send(A, B, ab, 0);
    net.send(B, A, ba, 0);
    const arrivals = drain(net, 0, 10);
    expect(arrivals.get(ab.id)).toEqual([7]);
    expect(arrivals.get(ba.id)).toEqual([1]);
  });

  it('blocks both directions with a two-way partition, and only those links', () => {
    const net = network();
    net.partition([A, B], [C], false);
    expect(net.send(A, C, message(), 0)).toBe('partition');
    expect(net.send(C, A, message(), 0)).toBe('partition');
    expect(net.send(B, C, message(), 0)).toBe('partition');
    expect(net.send(C, B, message(), 0)).toBe('partition');
    expect(net.send(A, B, message(), 0)).toBeUndefined();
    expect(net.send(C, D, message(), 0)).toBeUndefined();
    expect(net.isBlocked(C, A)).toBe(true);
    expect(net.isBlocked(A, D)).toBe(false);
  });

  it('blocks only from sources to targets with a one-way partition', () => {
    const net = network();
    net.partition([A], [B], true);
    expect(net.send(A, B, message(), 0)).toBe('partition');
    expect(net.send(B, A, message(), 0)).toBeUndefined();
    expect(net.isBlocked(A, B)).toBe(true);
    expect(net.isBlocked(B, A)).toBe(false);
  });

  it('clears partitions, link faults, loss, duplication and reordering with healAll', () => {
    const net = network({ loss: 1, duplicate: 1, reorder: 1 });
    net.partition([A], [B], false);
    net.partition([C], [D], true);
    net.setLinkFaults(B, C, { loss: 1 });
    net.healAll();
    expect(net.config.loss).toBe(0);
    expect(net.config.duplicate).toBe(0);
    expect(net.config.reorder).toBe(0);
    const sent = [message(), message(), message(), message(), message()];
    expect(net.send(A, B, sent[0]!, 0)).toBeUndefined();
    expect(net.send(B, A, sent[1]!, 0)).toBeUndefined();
    expect(net.send(C, D, sent[2]!, 0)).toBeUndefined();
    expect(net.send(B, C, sent[3]!, 0)).toBeUndefined();
    expect(net.send(D, A, sent[4]!, 0)).toBeUndefined();
    expect(net.takeDue(1)?.map((envelope) => envelope.message)).toEqual(sent);
  });

  it('checks partitions before loss: a blocked message is counted as partition, not loss', () => {
    const net = network({ loss: 1 });
    net.partition([A], [B], false);
    expect(net.send(A, B, message(), 0)).toBe('partition');
    expect(net.stats.dropped.partition).toBe(1);
    expect(net.stats.dropped.loss).toBe(0);
  });

  it('delivers every message twice with duplicate 1.0', () => {
    const net = network({ duplicate: 1, delay: { kind: 'uniform', minTicks: 1, maxTicks: 4 } });
    const sent = Array.from({ length: 200 }, () => message());
    sent.forEach((m, i) => net.send(A, B, m, i));
    const arrivals = drain(net, 0, 300);
    for (const m of sent) expect(arrivals.get(m.id)).toHaveLength(2);
    expect(net.stats.duplicated).toBe(200);
    expect(net.stats.delivered).toBe(400);
  });

  it('applies a per-link duplicate probability only on that link', () => {
    const net = network();
    net.setLinkFaults(A, B, { duplicate: 1 });
    const ab = message();
    const ba = message();
    net.send(A, B, ab, 0);
    net.send(B, A, ba, 0);
    const arrivals = drain(net, 0, 5);
    expect(arrivals.get(ab.id)).toEqual([1, 1]);
    expect(arrivals.get(ba.id)).toEqual([1]);
  });
});

describe('EmulatedNetwork: size and buffer limits', () => {
  it("drops a message larger than messageBytesMax with reason 'oversize'", () => {
    const net = network({ messageBytesMax: 100 });
    expect(net.send(A, B, message(101), 0)).toBe('oversize');
    expect(net.send(A, B, message(100), 0)).toBeUndefined();
    expect(net.stats.dropped.oversize).toBe(1);
    expect(net.inFlight).toBe(1);
  });

  it("drops messages beyond inFlightMax with reason 'buffer-full', and accepts again once some are delivered", () => {
    const net = network({ inFlightMax: 3 });
    expect(net.send(A, B, message(), 0)).toBeUndefined();
    expect(net.send(A, B, message(), 0)).toBeUndefined();
    expect(net.send(A, B, message(), 0)).toBeUndefined();
    expect(net.send(A, B, message(), 0)).toBe('buffer-full');
    expect(net.inFlight).toBe(3);
    expect(net.takeDue(1)).toHaveLength(3);
    expect(net.inFlight).toBe(0);
    expect(net.send(A, B, message(), 1)).toBeUndefined();
    expect(net.stats.dropped['buffer-full']).toBe(1);
  });

  it('never holds more than inFlightMax messages, duplicates included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer(), (inFlightMax, seed) => {
        const net = network({ inFlightMax, duplicate: 0.5, delay: { kind: 'uniform', minTicks: 1, maxTicks: 5 } }, seed);
        for (let tick = 0; tick < 30; tick++) {
          net.takeDue(tick);
          for (let i = 0; i < 5; i++) {
            net.send(A, B, message(), tick);
            expect(net.inFlight).toBeLessThanOrEqual(inFlightMax);
          }
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('EmulatedNetwork: stats', () => {
  it('counts sent, delivered, duplicated and every drop reason', () => {
    const net = network({ loss: 0.2, duplicate: 0.3, messageBytesMax: 50, delay: { kind: 'uniform', minTicks: 1, maxTicks: 3 } });
    net.partition([A], [C], false);
    const returned: Record<string, number> = {};
    let accepted = 0;
    for (let i = 0; i < 1000; i++) {
      const to = i % 10 === 0 ? C : B;
      const reason = net.send(A, to, message(i % 7 === 0 ? 60 : 10), i);
      if (reason === undefined) accepted++;
      else returned[reason] = (returned[reason] ?? 0) + 1;
    }
    const dropped = net.stats.dropped;
    expect(net.stats.sent).toBe(1000);
    expect(dropped).toEqual({
      loss: returned.loss,
      partition: returned.partition,
      oversize: returned.oversize,
      'buffer-full': 0,
      'target-down': 0,
    });
    expect(dropped.partition).toBe(100);
    expect(dropped.oversize).toBeGreaterThan(0);
    expect(dropped.loss).toBeGreaterThan(0);
    expect(net.stats.duplicated).toBeGreaterThan(0);
    expect(net.inFlight).toBe(accepted + net.stats.duplicated);
    const delivered = [...drain(net, 0, 1100).values()].reduce((sum, ticks) => sum + ticks.length, 0);
    expect(net.stats.delivered).toBe(delivered);
    expect(net.stats.sent + net.stats.duplicated).toBe(net.stats.delivered + dropped.loss + dropped.partition + dropped.oversize);
    expect(net.inFlight).toBe(0);
  });

  it('moves a delivery to target-down with countTargetDown', () => {
    const net = network();
    net.send(A, B, message(), 0);
    net.send(A, B, message(), 0);
    net.takeDue(1);
    net.countTargetDown();
    expect(net.stats.delivered).toBe(1);
    expect(net.stats.dropped['target-down']).toBe(1);
  });
});

describe('EmulatedNetwork: determinism', () => {
  type Fate = DropReason | number[];

  function fatesOnAB(seed: number, otherTraffic: boolean): Fate[] {
    const net = network(
      { loss: 0.3, duplicate: 0.2, reorder: 0.2, delay: { kind: 'uniform', minTicks: 1, maxTicks: 6 } },
      seed,
    );
    const fates: Fate[] = [];
    const sent: TestMessage[] = [];
    for (let i = 0; i < 200; i++) {
      const m = message();
      const reason = net.send(A, B, m, i);
      fates.push(reason ?? []);
      sent.push(m);
      if (otherTraffic) for (let j = 0; j <= i % 4; j++) net.send(C, D, message(), i);
    }
    const arrivals = drain(net, 0, 300);
    return fates.map((fate, i) => (typeof fate === 'string' ? fate : (arrivals.get(sent[i]!.id) ?? []).map((tick) => tick - i)));
  }

  it('gives messages on A->B the same fate whether or not there is traffic on C->D', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(fatesOnAB(seed, true)).toEqual(fatesOnAB(seed, false));
      }),
      { numRuns: 20 },
    );
  });

  it('gives different fates for different seeds', () => {
    expect(fatesOnAB(1, false)).not.toEqual(fatesOnAB(2, false));
  });

  it('gives messages on A->B the same fate whether or not B->A carries traffic', () => {
    const quiet = network({ loss: 0.5 }, 9);
    const busy = network({ loss: 0.5 }, 9);
    const quietFates: (DropReason | undefined)[] = [];
    const busyFates: (DropReason | undefined)[] = [];
    for (let i = 0; i < 300; i++) {
      quietFates.push(quiet.send(A, B, message(), i));
      busy.send(B, A, message(), i);
      busyFates.push(busy.send(A, B, message(), i));
    }
    expect(busyFates).toEqual(quietFates);
  });
});

describe('EmulatedNetwork: configuration', () => {
  it('starts from the defaults: no loss, one tick of delay, a 30,000-message buffer', () => {
    expect(network().config).toEqual(NETWORK_DEFAULTS);
    expect(NETWORK_DEFAULTS.delay).toEqual({ kind: 'constant', ticks: 1 });
    expect(NETWORK_DEFAULTS.inFlightMax).toBe(30_000);
  });

  it('rejects a loss probability of 1.5 or below 0', () => {
    expect(() => network({ loss: 1.5 })).toThrow(/loss/);
    expect(() => network({ loss: -0.1 })).toThrow(/loss/);
    expect(() => network({ loss: Number.NaN })).toThrow(/loss/);
    expect(() => network().configure({ loss: 1.5 })).toThrow(/loss/);
    expect(() => network().setLinkFaults(A, B, { loss: 1.5 })).toThrow(/loss/);
  });

  it('rejects a duplicate or reorder probability outside [0, 1]', () => {
    expect(() => network({ duplicate: 2 })).toThrow(/duplicate/);
    expect(() => network({ reorder: -1 })).toThrow(/reorder/);
    expect(() => network().setLinkFaults(A, B, { duplicate: 1.01 })).toThrow(/duplicate/);
  });

  it('rejects a delay of 0 ticks or a fractional one', () => {
    expect(() => network({ delay: { kind: 'constant', ticks: 0 } })).toThrow();
    expect(() => network({ delay: { kind: 'constant', ticks: 1.5 } })).toThrow();
    expect(() => network().configure({ delay: { kind: 'constant', ticks: 0 } })).toThrow();
    expect(() => network().setLinkFaults(A, B, { delay: { kind: 'constant', ticks: 0 } })).toThrow();
  });

  it('rejects a uniform delay with min 0 or min above max', () => {
    expect(() => network({ delay: { kind: 'uniform', minTicks: 0, maxTicks: 3 } })).toThrow();
    expect(() => network({ delay: { kind: 'uniform', minTicks: 4, maxTicks: 3 } })).toThrow();
  });

  it('rejects an exponential delay with a mean or max below 1', () => {
    expect(() => network({ delay: { kind: 'exponential', meanTicks: 0.5, maxTicks: 10 } })).toThrow();
    expect(() => network({ delay: { kind: 'exponential', meanTicks: 3, maxTicks: 0 } })).toThrow();
  });

  it('rejects an exponential delay whose maxTicks is not a whole number of ticks', () => {
    // Delays are whole ticks (validateDelay): a cap of 2.5 would schedule messages at tick T + 2.5,
    // which no takeDue(integer) ever returns.
    expect(() => network({ delay: { kind: 'exponential', meanTicks: 3, maxTicks: 2.5 } })).toThrow();
  });

  it('rejects a buffer or size limit below 1 and a reorder window below 1', () => {
    expect(() => network({ inFlightMax: 0 })).toThrow();
    expect(() => network({ messageBytesMax: 0 })).toThrow();
    expect(() => network({ reorderWindowTicks: 0 })).toThrow();
  });

  it('keeps the old configuration when configure is refused', () => {
    const net = network({ loss: 0.25 });
    expect(() => net.configure({ loss: 3 })).toThrow();
    expect(net.config.loss).toBe(0.25);
  });

  it('spells delays as the scripts do', () => {
    expect(describeDelay({ kind: 'constant', ticks: 2 })).toBe('2');
    expect(describeDelay({ kind: 'uniform', minTicks: 1, maxTicks: 4 })).toBe('1-4');
    expect(describeDelay({ kind: 'exponential', meanTicks: 3, maxTicks: 20 })).toBe('exponential 3 20');
  });
});
