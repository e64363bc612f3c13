/**
 * The nemesis of `ringside check`: a schedule of faults, drawn from a seed and printed, so a run
 * can be told and replayed (Jepsen's habit: a fault schedule is data). Periods of faults alternate
 * with quiet periods of the same length; each fault period holds one fault, or two of different
 * kinds when `combined`. Every fault ends by the end of the workload; the runner then heals
 * everything left (restarts, resumes, reconnects) before the final reads.
 *
 * Peers are named by their index in the cluster (0-based), so a schedule fits any cluster of
 * that size, real or simulated.
 */
import { z } from 'zod';
import { RandomStream } from '../random/stream.ts';

export const NEMESIS_KINDS = ['kill', 'pause', 'partition', 'loss'] as const;
export type NemesisKind = (typeof NEMESIS_KINDS)[number];

export const nemesisSpecSchema = z.object({
  /** What may break. Default: kills (then restarts), pauses, partitions and message loss. */
  kinds: z.array(z.enum(NEMESIS_KINDS)).max(NEMESIS_KINDS.length).default([...NEMESIS_KINDS]),
  /** Length of each fault period, and of each quiet period after it, in ms. Default 5 s. */
  intervalMs: z.number().int().min(100).max(3_600_000).default(5000),
  /** Loss injected by a loss fault. Default 10 %. */
  loss: z.number().min(0).max(1).default(0.1),
  /** Two faults of different kinds at once in a period. Default false. */
  combined: z.boolean().default(false),
});
export type NemesisSpec = z.infer<typeof nemesisSpecSchema>;
export type NemesisSpecInput = z.input<typeof nemesisSpecSchema>;

export type PartitionShape = 'majority' | 'isolate' | 'one-way';

export type Fault =
  | { readonly kind: 'kill'; readonly peer: number }
  | { readonly kind: 'pause'; readonly peer: number }
  | { readonly kind: 'partition'; readonly shape: PartitionShape; readonly sources: readonly number[]; readonly targets: readonly number[]; readonly oneWay: boolean }
  | { readonly kind: 'loss'; readonly loss: number };

export interface FaultPeriod {
  readonly startMs: number;
  readonly endMs: number;
  readonly faults: readonly Fault[];
}

/** The schedule for a run of `durationMs` on `peers` peers. */
export function nemesisSchedule(spec: NemesisSpec, peers: number, durationMs: number, seed: number | string): FaultPeriod[] {
  if (spec.kinds.length === 0 || peers < 2) return [];
  const random = RandomStream.root(seed).derive('nemesis');
  const periods: FaultPeriod[] = [];
  // A quiet start lets the cluster settle and the workload begin before anything breaks.
  for (let startMs = spec.intervalMs; startMs + spec.intervalMs <= durationMs; startMs += 2 * spec.intervalMs) {
    const first = spec.kinds[random.index(spec.kinds.length)] as NemesisKind;
    const kinds: NemesisKind[] = [first];
    if (spec.combined && spec.kinds.length > 1) {
      const others = spec.kinds.filter((kind) => kind !== first);
      kinds.push(others[random.index(others.length)] as NemesisKind);
    }
    // Two faults of one period never act on the same peer (a killed peer is not also paused).
    const used = new Set<number>();
    const faults = kinds.map((kind) => drawFault(kind, peers, spec, random, used));
    periods.push({ startMs, endMs: startMs + spec.intervalMs, faults });
  }
  return periods;
}

function drawFault(kind: NemesisKind, peers: number, spec: NemesisSpec, random: RandomStream, used: Set<number>): Fault {
  const freePeer = (): number => {
    const free = Array.from({ length: peers }, (_, index) => index).filter((index) => !used.has(index));
    const peer = free.length === 0 ? random.index(peers) : (free[random.index(free.length)] as number);
    used.add(peer);
    return peer;
  };
  switch (kind) {
    case 'kill':
      return { kind, peer: freePeer() };
    case 'pause':
      return { kind, peer: freePeer() };
    case 'loss':
      return { kind, loss: spec.loss };
    case 'partition': {
      const shapes: PartitionShape[] = ['majority', 'isolate', 'one-way'];
      const shape = shapes[random.index(shapes.length)] as PartitionShape;
      const order = shuffled(peers, random);
      const size = shape === 'majority' ? Math.floor((peers - 1) / 2) || 1 : 1;
      const sources = order.slice(0, size).sort((a, b) => a - b);
      const targets = order.slice(size).sort((a, b) => a - b);
      return { kind, shape, sources, targets, oneWay: shape === 'one-way' };
    }
  }
}

function shuffled(count: number, random: RandomStream): number[] {
  const items = Array.from({ length: count }, (_, index) => index);
  for (let index = items.length - 1; index > 0; index--) {
    const other = random.int(0, index);
    [items[index], items[other]] = [items[other] as number, items[index] as number];
  }
  return items;
}

/**
 * One line for a fault, with peers numbered from 1 as the window and the command line show them.
 * A simulated pause cuts the peer off both ways (the simulator freezes no process).
 */
export function describeFault(fault: Fault, simulated = false): string {
  const peer = (index: number): string => `peer ${index + 1}`;
  const group = (indexes: readonly number[]): string => indexes.map((index) => index + 1).join(',');
  switch (fault.kind) {
    case 'kill':
      return simulated ? `crash ${peer(fault.peer)}, restart it at the end (its store kept)` : `kill ${peer(fault.peer)} (SIGKILL), restart it at the end`;
    case 'pause':
      return simulated ? `pause ${peer(fault.peer)} (cut off both ways), resume it at the end` : `pause ${peer(fault.peer)} (SIGSTOP), resume it at the end`;
    case 'loss':
      return `lose ${Math.round(fault.loss * 100)} % of messages`;
    case 'partition':
      return fault.shape === 'one-way'
        ? `one-way partition: {${group(fault.sources)}} cannot reach {${group(fault.targets)}}`
        : `partition {${group(fault.sources)}} | {${group(fault.targets)}}${fault.shape === 'isolate' ? ' (isolate one)' : ' (minority | majority)'}`;
  }
}

/** The schedule, one line a period, for the report. */
export function describeSchedule(periods: readonly FaultPeriod[], simulated = false): string[] {
  if (periods.length === 0) return ['no faults'];
  return periods.map((period) => `${(period.startMs / 1000).toFixed(1)}-${(period.endMs / 1000).toFixed(1)} s: ${period.faults.map((fault) => describeFault(fault, simulated)).join('; ')}`);
}
