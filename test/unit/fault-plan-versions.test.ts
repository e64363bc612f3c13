/**
 * Fault plans carry a version: a peer keeps the newest plan it was sent, whatever order plans
 * arrive in, and says which version it applies.
 */
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/peer/faults.ts';
import { controlCommandSchema, peerInspectionSchema } from '../../src/shared/protocol/control.ts';
import { faultPlanSchema, NO_FAULTS } from '../../src/shared/protocol/faults.ts';
import { RandomStream } from '../../src/shared/random/stream.ts';

const [A, B] = ['127.0.0.1:1', '127.0.0.1:2'];
const cut = faultPlanSchema.parse({ partitions: [{ sources: [A], targets: [B] }] });

describe('fault plan versions', () => {
  it('applies a newer plan and ignores one no newer than the plan in force (a resend, or one that arrived late)', () => {
    const injector = new FaultInjector(A, RandomStream.root('versions'));
    expect(injector.version).toBe(0);
    expect(injector.set(cut, 5)).toBe(true);
    expect(injector.decide(B)).toEqual({ drop: 'partition' });
    expect(injector.set(NO_FAULTS, 4)).toBe(false);
    expect(injector.set(NO_FAULTS, 5)).toBe(false);
    expect([injector.version, injector.decide(B)]).toEqual([5, { drop: 'partition' }]);
    expect(injector.set(NO_FAULTS, 6)).toBe(true);
    expect([injector.version, injector.decide(B)]).toEqual([6, { delays: [0] }]);
  });

  it('applies a plan without a version (from a client before versions), keeping the version it has', () => {
    const injector = new FaultInjector(A, RandomStream.root('versions'));
    injector.set(NO_FAULTS, 7);
    expect(injector.set(cut)).toBe(true);
    expect([injector.version, injector.decide(B)]).toEqual([7, { drop: 'partition' }]);
  });

  it('carries the version on the wire, optional both ways', () => {
    expect(controlCommandSchema.parse({ type: 'faults', plan: {}, version: 1_700_000_000_000 })).toMatchObject({ version: 1_700_000_000_000 });
    expect(controlCommandSchema.parse({ type: 'faults', plan: {} })).not.toHaveProperty('version');
    expect(controlCommandSchema.safeParse({ type: 'faults', plan: {}, version: -1 }).success).toBe(false);
    expect(peerInspectionSchema.shape.faultsVersion.safeParse(undefined).success).toBe(true);
  });
});

describe('a fault plan with a field it does not know', () => {
  it('is refused, not taken as a plan with no faults (a misspelt "los" used to clear every fault)', () => {
    expect(faultPlanSchema.safeParse({ x: 1 }).success).toBe(false);
    expect(faultPlanSchema.safeParse({ los: 0.1 }).success).toBe(false);
    expect(faultPlanSchema.safeParse({ partitions: [{ sources: ['127.0.0.1:1'], targets: ['127.0.0.1:2'], oneway: true }] }).success).toBe(false);
    expect(faultPlanSchema.safeParse({ links: [{ from: '127.0.0.1:1', to: '127.0.0.1:2', lost: 1 }] }).success).toBe(false);
    expect(faultPlanSchema.parse({ loss: 0.1 })).toEqual({ ...NO_FAULTS, loss: 0.1 });
  });
});
