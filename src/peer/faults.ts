/**
 * The sender's half of injected faults: for each message this peer sends, whether it is dropped
 * (partition or loss) and after how many milliseconds each copy leaves (delay, duplication).
 * Draws come from a seeded stream, so a run with `--seed` repeats its choices.
 *
 * The plan has a version (`faultPlanVersionSchema`): one no newer than the plan in force is a
 * resend or arrived late, and is ignored.
 */
import { isPartitioned, NO_FAULTS, type DelayMs, type FaultPlan, type FaultPlanVersion, type LinkFaultsMs } from '../shared/protocol/faults.ts';
import type { RandomStream } from '../shared/random/stream.ts';

export type FaultDecision =
  | { readonly drop: 'partition' | 'loss' }
  /** Delays in ms, one per copy to send (two when duplicated); 0 means now. */
  | { readonly drop?: undefined; readonly delays: readonly number[] };

const NOW: FaultDecision = { delays: [0] };

export class FaultInjector {
  readonly #self: string;
  readonly #random: RandomStream;
  #plan: FaultPlan = NO_FAULTS;
  #version: FaultPlanVersion = 0;
  #links = new Map<string, LinkFaultsMs>();
  #active = false;

  constructor(self: string, random: RandomStream) {
    this.#self = self;
    this.#random = random;
  }

  get plan(): FaultPlan {
    return this.#plan;
  }

  /** The version of the plan in force (0: none set). */
  get version(): FaultPlanVersion {
    return this.#version;
  }

  /**
   * Puts `plan` in force unless its `version` is no newer than the plan's in force (a plan
   * without a version always is); true when it did.
   */
  set(plan: FaultPlan, version?: FaultPlanVersion): boolean {
    if (version !== undefined) {
      if (version <= this.#version) return false;
      this.#version = version;
    }
    this.#plan = plan;
    this.#links = new Map(plan.links.filter((link) => link.from === this.#self).map((link) => [link.to, link]));
    this.#active = plan.loss > 0 || plan.duplicate > 0 || plan.delay !== undefined || this.#links.size > 0 || plan.partitions.length > 0;
    return true;
  }

  decide(to: string): FaultDecision {
    if (!this.#active) return NOW;
    const plan = this.#plan;
    if (plan.partitions.length > 0 && isPartitioned(plan, this.#self, to)) return { drop: 'partition' };
    const link = this.#links.get(to);
    const loss = link?.loss ?? plan.loss;
    if (loss > 0 && this.#random.chance(loss)) return { drop: 'loss' };
    const delay = link?.delay ?? plan.delay;
    const duplicate = link?.duplicate ?? plan.duplicate;
    const first = this.#delay(delay);
    if (duplicate > 0 && this.#random.chance(duplicate)) return { delays: [first, this.#delay(delay)] };
    return first === 0 ? NOW : { delays: [first] };
  }

  #delay(delay: DelayMs | undefined): number {
    if (delay === undefined) return 0;
    switch (delay.kind) {
      case 'constant':
        return delay.ms;
      case 'uniform':
        return this.#random.int(delay.minMs, delay.maxMs);
      case 'exponential':
        return Math.min(delay.maxMs, Math.round(this.#random.exponential(delay.meanMs)));
    }
  }
}
