/**
 * Network faults injected into real peers' transports, with the simulator's names: loss,
 * delay (constant, uniform, exponential), duplicate, per directed link, and partitions (one-way
 * or two-way). Real delays are in milliseconds where the simulator's are in ticks.
 *
 * One plan describes the whole cluster; every peer applies the part where it is the sender, so
 * a two-way partition is each side dropping what it sends to the other.
 */
import { z } from 'zod';
import { peerIdSchema } from './peer-id.ts';

const probability = z.number().min(0).max(1);
const millis = z.number().int().min(0).max(60_000);

export const delayMsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), ms: millis }),
  z
    .object({ kind: z.literal('uniform'), minMs: millis, maxMs: millis })
    .refine((delay) => delay.minMs <= delay.maxMs, 'a uniform delay has minMs ≤ maxMs'),
  z
    .object({ kind: z.literal('exponential'), meanMs: z.number().min(0).max(60_000), maxMs: millis })
    .refine((delay) => delay.meanMs <= delay.maxMs, 'an exponential delay has meanMs ≤ maxMs'),
]);
export type DelayMs = z.infer<typeof delayMsSchema>;

export const linkFaultsSchema = z.strictObject({
  from: peerIdSchema,
  to: peerIdSchema,
  loss: probability.optional(),
  delay: delayMsSchema.optional(),
  duplicate: probability.optional(),
});
export type LinkFaultsMs = z.infer<typeof linkFaultsSchema>;

/** Messages from `sources` to `targets` are dropped; and back too unless `oneWay`. */
export const partitionSchema = z.strictObject({
  sources: z.array(peerIdSchema).min(1).max(1024),
  targets: z.array(peerIdSchema).min(1).max(1024),
  oneWay: z.boolean().default(false),
});
export type Partition = z.infer<typeof partitionSchema>;

/** Strict: a misspelt field (`{"los": 0.1}`) is an error, not a plan with no faults. */
export const faultPlanSchema = z.strictObject({
  loss: probability.default(0),
  delay: delayMsSchema.optional(),
  duplicate: probability.default(0),
  links: z.array(linkFaultsSchema).max(4096).default([]),
  partitions: z.array(partitionSchema).max(64).default([]),
});
export type FaultPlan = z.infer<typeof faultPlanSchema>;

export const NO_FAULTS: FaultPlan = { loss: 0, duplicate: 0, links: [], partitions: [] };

/**
 * Plans carry a version so that a peer coming back (resumed, restarted, reconnected) can be given
 * the current plan and tell whether it has it, and so that an older plan arriving late never
 * replaces a newer one. 0 is "no plan set yet". A manager numbers its plans from its clock (a
 * plan's version is the later of the previous one plus 1 and the time in ms), so that plans a
 * second manager sets to an attached peer later are newer than the first manager's.
 */
export const faultPlanVersionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export type FaultPlanVersion = z.infer<typeof faultPlanVersionSchema>;

/** True when the plan drops everything `from` sends to `to`. */
export function isPartitioned(plan: FaultPlan, from: string, to: string): boolean {
  for (const partition of plan.partitions) {
    if (partition.sources.includes(from) && partition.targets.includes(to)) return true;
    if (!partition.oneWay && partition.targets.includes(from) && partition.sources.includes(to)) return true;
  }
  return false;
}

export function describeDelayMs(delay: DelayMs): string {
  switch (delay.kind) {
    case 'constant':
      return `${delay.ms} ms`;
    case 'uniform':
      return `${delay.minMs}-${delay.maxMs} ms`;
    case 'exponential':
      return `exponential ${delay.meanMs} ms (max ${delay.maxMs} ms)`;
  }
}

/** One line for the journal's `fault.changed` event. */
export function describeFaultPlan(plan: FaultPlan): string {
  const parts: string[] = [];
  if (plan.loss > 0) parts.push(`loss ${plan.loss}`);
  if (plan.delay !== undefined) parts.push(`delay ${describeDelayMs(plan.delay)}`);
  if (plan.duplicate > 0) parts.push(`duplicate ${plan.duplicate}`);
  for (const link of plan.links) {
    const faults: string[] = [];
    if (link.loss !== undefined) faults.push(`loss ${link.loss}`);
    if (link.delay !== undefined) faults.push(`delay ${describeDelayMs(link.delay)}`);
    if (link.duplicate !== undefined) faults.push(`duplicate ${link.duplicate}`);
    parts.push(`${link.from} -> ${link.to}: ${faults.join(', ') || 'none'}`);
  }
  for (const partition of plan.partitions) {
    parts.push(`partition ${partition.sources.join(',')} ${partition.oneWay ? '->' : '|'} ${partition.targets.join(',')}`);
  }
  return parts.length === 0 ? 'no faults' : parts.join('; ');
}
