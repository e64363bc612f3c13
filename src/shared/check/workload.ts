/**
 * What `ringside check` asks of a cluster: a workload of clients (each runs one operation at a
 * time, as Jepsen's do) reading, writing and deleting a few keys, for a while. The same spec
 * drives real peers (`src/main/check`) and the simulator (`sim-check.ts`), and the same seed gives
 * the same operations in the same order per client.
 *
 * Every written value is unique (`c<client>-<n>`, padded to `valueBytes`), so a read names the
 * write it saw and the checkers can explain precisely.
 */
import { z } from 'zod';
import { RandomStream } from '../random/stream.ts';
import type { RegisterOperationKind } from './register-history.ts';

export const workloadSpecSchema = z.object({
  /** Clients running at once (each one operation at a time). Default 5. */
  clients: z.number().int().min(1).max(64).default(5),
  /** Keys the clients share: few keys, many operations each, is where anomalies show. Default 4. */
  keys: z.number().int().min(1).max(1000).default(4),
  /** Relative weights of reads, writes (puts) and deletes. Default 50 : 40 : 10. */
  mix: z
    .object({ read: z.number().nonnegative().max(1000), write: z.number().nonnegative().max(1000), delete: z.number().nonnegative().max(1000) })
    .refine((mix) => mix.read + mix.write + mix.delete > 0, 'a mix needs some weight')
    .default({ read: 50, write: 40, delete: 10 }),
  /** Written values are this many bytes at least (unique prefix, then padding). Default 8. */
  valueBytes: z.number().int().min(1).max(65_536).default(8),
  /** Operations per second across all clients, at most (each client waits clients/rate s between them). Default 100. */
  rate: z.number().positive().max(100_000).default(100),
  /** How long the workload runs, in ms (then faults heal and the final reads run). Default 30 s. */
  durationMs: z.number().int().min(100).max(24 * 3_600_000).default(30_000),
  /** A client gives up on an operation after this long (its outcome is then unknown). Default 5 s. */
  operationTimeoutMs: z.number().int().min(10).max(600_000).default(5000),
});
export type WorkloadSpec = z.infer<typeof workloadSpecSchema>;
export type WorkloadSpecInput = z.input<typeof workloadSpecSchema>;

export interface PlannedOperation {
  readonly kind: RegisterOperationKind;
  readonly key: string;
  /** A write's value. */
  readonly value?: string;
}

export function checkKeyName(index: number): string {
  return `check-${index}`;
}

/** The operations of each client, drawn from its own seeded stream. */
export class Workload {
  readonly spec: WorkloadSpec;
  readonly #streams: RandomStream[];
  readonly #written: number[];

  constructor(spec: WorkloadSpec, seed: number | string) {
    this.spec = spec;
    const root = RandomStream.root(seed).derive('workload');
    this.#streams = Array.from({ length: spec.clients }, (_, client) => root.derive(`client-${client}`));
    this.#written = Array.from({ length: spec.clients }, () => 0);
  }

  /** Time between one client's operations, in ms, so that all of them together keep to `rate`. */
  get thinkMs(): number {
    return (this.spec.clients * 1000) / this.spec.rate;
  }

  /** Client `client`'s next operation. */
  next(client: number): PlannedOperation {
    const stream = this.#streams[client] as RandomStream;
    const { mix, keys, valueBytes } = this.spec;
    const key = checkKeyName(stream.int(0, keys - 1));
    const draw = stream.float() * (mix.read + mix.write + mix.delete);
    if (draw < mix.read) return { kind: 'read', key };
    if (draw < mix.read + mix.write) {
      const number = (this.#written[client] ?? 0) + 1;
      this.#written[client] = number;
      const value = `c${client}-${number}`;
      return { kind: 'write', key, value: value.length >= valueBytes ? value : `${value}-${'x'.repeat(valueBytes - value.length - 1)}` };
    }
    return { kind: 'delete', key };
  }

  keyNames(): string[] {
    return Array.from({ length: this.spec.keys }, (_, index) => checkKeyName(index));
  }
}
