import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/peer/faults.ts';
import { authProof, sameProof, welcomeProof } from '../../src/shared/protocol/control.ts';
import { describeFaultPlan, faultPlanSchema, isPartitioned } from '../../src/shared/protocol/faults.ts';
import { RandomStream } from '../../src/shared/random/stream.ts';

const [A, B, C] = ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'];

describe('fault plans', () => {
  it('partitions one way or both ways', () => {
    const twoWay = faultPlanSchema.parse({ partitions: [{ sources: [A], targets: [B, C] }] });
    expect([isPartitioned(twoWay, A, B), isPartitioned(twoWay, C, A), isPartitioned(twoWay, B, C)]).toEqual([true, true, false]);
    const oneWay = faultPlanSchema.parse({ partitions: [{ sources: [A], targets: [B], oneWay: true }] });
    expect([isPartitioned(oneWay, A, B), isPartitioned(oneWay, B, A)]).toEqual([true, false]);
    expect(describeFaultPlan(oneWay)).toBe(`partition ${A} -> ${B}`);
    expect(describeFaultPlan(faultPlanSchema.parse({}))).toBe('no faults');
  });

  it('refuses impossible plans with a reason', () => {
    expect(faultPlanSchema.safeParse({ loss: 1.5 }).success).toBe(false);
    const uniform = faultPlanSchema.safeParse({ delay: { kind: 'uniform', minMs: 50, maxMs: 10 } });
    expect(uniform.error?.issues[0]?.message).toBe('a uniform delay has minMs ≤ maxMs');
  });

  it('drops, delays and duplicates at the rates asked, per link overriding the global setting', () => {
    const injector = new FaultInjector(A, RandomStream.root('faults-test'));
    injector.set(faultPlanSchema.parse({ loss: 0.2, duplicate: 0.1, delay: { kind: 'uniform', minMs: 5, maxMs: 15 }, links: [{ from: A, to: C, loss: 1 }] }));
    let lost = 0;
    let copies = 0;
    const delays: number[] = [];
    const runs = 20_000;
    for (let index = 0; index < runs; index++) {
      const decision = injector.decide(B);
      if (decision.drop !== undefined) lost++;
      else {
        copies += decision.delays.length;
        delays.push(...decision.delays);
      }
    }
    expect(lost / runs).toBeGreaterThan(0.18);
    expect(lost / runs).toBeLessThan(0.22);
    expect(copies / (runs - lost)).toBeGreaterThan(1.08);
    expect(copies / (runs - lost)).toBeLessThan(1.12);
    expect(Math.min(...delays)).toBe(5);
    expect(Math.max(...delays)).toBe(15);
    expect(injector.decide(C)).toEqual({ drop: 'loss' });
    injector.set(faultPlanSchema.parse({ partitions: [{ sources: [C], targets: [A] }] }));
    expect(injector.decide(C)).toEqual({ drop: 'partition' });
    expect(injector.decide(B)).toEqual({ delays: [0] });
  });
});

describe('the handshake proofs', () => {
  it('depend on the secret, both nonces, the role and the id', () => {
    const server = 'a'.repeat(32);
    const client = 'b'.repeat(32);
    const proof = authProof('secret-one-secret-one', server, client, 'peer', A);
    expect(proof).toMatch(/^[0-9a-f]{64}$/);
    expect(sameProof(proof, authProof('secret-one-secret-one', server, client, 'peer', A))).toBe(true);
    for (const other of [
      authProof('secret-two-secret-two', server, client, 'peer', A),
      authProof('secret-one-secret-one', 'c'.repeat(32), client, 'peer', A),
      authProof('secret-one-secret-one', server, 'c'.repeat(32), 'peer', A),
      authProof('secret-one-secret-one', server, client, 'control', undefined),
      authProof('secret-one-secret-one', server, client, 'peer', B),
      welcomeProof('secret-one-secret-one', server, client, A),
    ]) {
      expect(sameProof(proof, other)).toBe(false);
    }
  });
});
