/**
 * The machine interface every protocol in `src/shared` implements (the "sans-IO" shape of
 * etcd's raft library).
 *
 * A machine is a pure state machine: `step(input, now)` consumes one input at the integer tick
 * `now` and returns the outputs that input produced. It never reads a clock, opens a socket or
 * draws an unseeded random number; its randomness comes from the seeded stream it was built with.
 *
 * The caller (the simulator or a peer process) owns IO and time. For each batch of outputs it:
 *   1. delivers every `send` to its target, in order (the emulated network or a socket);
 *   2. appends every `event` to the journal, in order;
 *   3. hands every `reply` back to whoever issued the command;
 *   4. calls `step({ kind: 'tick' }, now)` once per tick, `now` never decreasing.
 * The returned array belongs to the machine and is reused by its next call: consume it first.
 */
import type { JournalEvent } from './journal/events.ts';

/** A point in protocol time. Real peers turn milliseconds into ticks (default 100 ms a tick). */
export type Tick = number;

/**
 * A peer's identity, which is also its address: `k.0.0.0:0` in the classroom scenarios,
 * `host:port` for real peers. The transport resolves it; the protocols treat it as opaque.
 */
export type PeerId = string;

export type MachineInput<Message, Command> =
  | { readonly kind: 'tick' }
  | { readonly kind: 'receive'; readonly from: PeerId; readonly message: Message }
  /** Bytes off the wire: the machine decodes them, and counts and reports what it refuses. */
  | { readonly kind: 'receive-bytes'; readonly from: PeerId; readonly data: string | Uint8Array }
  | { readonly kind: 'command'; readonly command: Command };

export type MachineOutput<Message, Reply> =
  | { readonly kind: 'send'; readonly to: PeerId; readonly message: Message }
  | { readonly kind: 'event'; readonly event: JournalEvent }
  | { readonly kind: 'reply'; readonly reply: Reply };

export interface Machine<Message, Command, Reply> {
  readonly id: PeerId;
  step(input: MachineInput<Message, Command>, now: Tick): readonly MachineOutput<Message, Reply>[];
}

/** Thrown when a machine's own invariant breaks: a bug, never bad input from the network. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** Assertions stay on everywhere: a broken invariant must stop a test, not corrupt a run. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
