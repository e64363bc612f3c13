/** What the parts of a DHT peer (its lookups, its finger table) need from the peer itself. */
import type { JournalEvent } from '../journal/events.ts';
import type { Tick } from '../machine.ts';
import type { DhtMessage } from '../protocol/dht.ts';

/** The lookup a Store or Request console line carries: its route so far and the hops taken. */
export type ConsoleLookup = NonNullable<Extract<JournalEvent, { kind: 'console' }>['lookup']>;

export interface PeerContext {
  readonly identity: number;
  /** The first successor now (this peer itself when alone). */
  first(): number;
  /** Whether this peer is in the ring (started, joined, not left). */
  isMember(): boolean;
  send(to: number, message: DhtMessage): void;
  /** A console line: a journal event. */
  print(text: string, now: Tick, lookup?: ConsoleLookup): void;
  /** A lookup went round too many hops: the ring is broken. */
  countDropped(): void;
}
