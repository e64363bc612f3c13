/** Helpers for DHT tests: a started ring, what a correct ring looks like, and who said what. */
import { clockwiseFrom } from '../../src/shared/dht/circle.ts';
import type { DhtConfig } from '../../src/shared/dht/config.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { DhtCluster } from '../../src/shared/sim/dht-cluster.ts';

export type ConsoleEvent = Extract<JournalEvent, { kind: 'console' }>;

export const REFERENCE_RING = [2, 4, 5, 8, 9, 14, 19] as const;

/** A cluster that keeps every console line; `init` starts `identities` as a correct ring. */
export function dhtCluster(options: { seed?: number; config?: Partial<DhtConfig> } = {}) {
  const said: ConsoleEvent[] = [];
  const events: JournalEvent[] = [];
  const cluster = new DhtCluster({
    seed: options.seed ?? 1,
    ...(options.config ? { config: options.config } : {}),
    onEvent: (event) => {
      events.push(event);
      if (event.kind === 'console') said.push(event);
    },
  });
  const init = (identities: readonly number[], pingIntervalSeconds?: number): void => {
    const sorted = [...identities].sort((a, b) => a - b);
    sorted.forEach((identity, index) => {
      const first = sorted[(index + 1) % sorted.length] as number;
      const second = sorted[(index + 2) % sorted.length] as number;
      cluster.init(identity, first, second, pingIntervalSeconds);
    });
  };
  /** The lines peer `identity` said, from index `since` of `said`. */
  const linesOf = (identity: number, since = 0): string[] =>
    said.slice(since).filter((event) => event.peer === DhtCluster.address(identity)).map((event) => event.text);
  return { cluster, said, events, init, linesOf };
}

/** The successors every running peer should have: the next two running peers on the circle. */
export function expectedSuccessors(running: readonly number[], identity: number): { first: number; second: number } {
  const [first, second] = clockwiseFrom(identity, running);
  return { first: first as number, second: running.length === 1 ? identity : (second as number) };
}

/** The running peers whose successors are not the next two running peers (or that are not in the ring). */
export function wrongSuccessors(cluster: DhtCluster): number[] {
  const running = cluster.running();
  return running.filter((identity) => {
    const machine = cluster.machine(identity);
    if (machine?.status !== 'member') return true;
    const expected = expectedSuccessors(running, identity);
    return machine.successors.first !== expected.first || machine.successors.second !== expected.second;
  });
}
