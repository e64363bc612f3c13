/**
 * The space-time (Lamport) diagram's data: every message between peers, each with its send and,
 * when it came, its delivery, paired from the journal's message events once, as the journal
 * grows (`MessageIndex`), and kept in typed arrays so that a diagram of a hundred thousand
 * messages is drawn without an object per message.
 *
 * Pairing. A real peer journals `message.sent` when the bytes go on the wire (after any delay
 * injected for them) and its target journals `message.delivered` as they arrive; a link (one
 * ordered connection per pair of peers) delivers in the order it sends, and each side journals its
 * own events in order. So the k-th delivery on a link is its k-th send: pairing is first in, first
 * out per directed link, and the type of each pair must match. The two sides' events reach the
 * journal from two processes, so a delivery may come before its send: it waits for it.
 *
 * A journal may miss an event (a peer's events dropped, a process that died before it journaled
 * one). So that a missing event never shifts the pairs after it, pairs are checked: a delivery
 * takes the first waiting send of its type, and the sends before it on the link were lost (the
 * link keeps its order); never a send after it (`CLOCK_SLACK_MS` aside) or more than
 * `MAX_FLIGHT_MS` before it. (The simulator's emulated network reorders messages it delays, so
 * the pairing of a simulated journal with delays is approximate: journals carry no message ids.)
 *
 * A message's fate depends on the moment shown (position P, time T): dropped (by its sender);
 * delivered, when its delivery is at a position up to P; lost, when it was sent more than
 * `MAX_FLIGHT_MS` before T and not delivered by then; else in flight.
 *
 * Bounds: an index keeps at most `MESSAGES_KEPT` messages (the oldest half goes when full), and
 * at most `DELIVERIES_WAITING_MAX` deliveries wait for their send on a link.
 */
import type { SessionEntry } from '../../../shared/journal/session.ts';
import type { Timeline } from '../../../shared/journal/timeline.ts';

/** Messages an index keeps at most. */
export const MESSAGES_KEPT = 1_000_000;
/** The longest a message is taken to be in flight, ms: injected delays stay below it. */
export const MAX_FLIGHT_MS = 5000;
/** Two processes' clocks on one machine: a delivery is never journaled this much before its send. */
const CLOCK_SLACK_MS = 5;
/** Deliveries waiting for their send on one link, at most. */
const DELIVERIES_WAITING_MAX = 1000;
/** Sends waiting for their delivery on one link, at most. */
const SENDS_WAITING_MAX = 10_000;
const INITIAL_CAPACITY = 4096;

/** Delivered; dropped by its sender; in flight at the moment shown; or lost: not delivered within `MAX_FLIGHT_MS`. */
export type MessageFate = 'delivered' | 'dropped' | 'in-flight' | 'lost';
export const FATE_DELIVERED = 0;
export const FATE_DROPPED = 1;
export const FATE_IN_FLIGHT = 2;
export const FATE_LOST = 3;
const FATE_NAMES: readonly MessageFate[] = ['delivered', 'dropped', 'in-flight', 'lost'];

export interface DiagramMessage {
  readonly from: string;
  readonly to: string;
  readonly type: string;
  /** When it was sent (or dropped), ms since the epoch, and its entry's position on the timeline. */
  readonly sentAt: number;
  readonly sentPosition: number;
  /** When it was delivered, at the moment shown; undefined when dropped or not (yet) delivered. */
  readonly deliveredAt: number | undefined;
  readonly fate: MessageFate;
  /** Why it was dropped. */
  readonly reason: string | undefined;
  readonly bytes: number | undefined;
}

export interface DiagramScope {
  /** Only messages from or to this peer. */
  readonly peer?: string | undefined;
  /** Only messages of this type. */
  readonly type?: string | undefined;
}

interface WaitingDelivery {
  readonly at: number;
  readonly position: number;
  readonly type: number;
}

interface LinkQueue {
  /** Ids (see `MessageIndex.dropped`) of sends not yet delivered, oldest first. */
  sends: number[];
  deliveries: WaitingDelivery[];
}

export class MessageIndex {
  readonly peers: string[] = [];
  readonly types: string[] = [];
  readonly reasons: string[] = [];
  readonly #peerIds = new Map<string, number>();
  readonly #typeIds = new Map<string, number>();
  readonly #reasonIds = new Map<string, number>();
  /** Messages held; message i has id `dropped + i`. */
  count = 0;
  /** Messages let go from the front (the bound). */
  dropped = 0;
  from = new Uint16Array(INITIAL_CAPACITY);
  to = new Uint16Array(INITIAL_CAPACITY);
  type = new Uint16Array(INITIAL_CAPACITY);
  /** 0 for a send, 1 + reason for a drop. */
  drop = new Uint8Array(INITIAL_CAPACITY);
  bytes = new Uint32Array(INITIAL_CAPACITY);
  sentAt = new Float64Array(INITIAL_CAPACITY);
  /** The running maximum of `sentAt` (clocks may step back a little): what a search by time uses. */
  sentAtMax = new Float64Array(INITIAL_CAPACITY);
  sentPosition = new Float64Array(INITIAL_CAPACITY);
  deliveredAt = new Float64Array(INITIAL_CAPACITY);
  /** 0 while not delivered. */
  deliveredPosition = new Float64Array(INITIAL_CAPACITY);
  /** The last timeline position applied. */
  consumed = 0;
  /** The newest entry time applied. */
  newestAt = 0;
  /** Pairing queues by directed link (`from × 65,536 + to`). */
  readonly #links = new Map<number, LinkQueue>();

  #intern(map: Map<string, number>, list: string[], name: string): number {
    let id = map.get(name);
    if (id === undefined) {
      id = list.length;
      list.push(name);
      map.set(name, id);
    }
    return id;
  }

  #grow(): void {
    if (this.count < this.from.length) return;
    if (this.count >= MESSAGES_KEPT) {
      this.#compact();
      return;
    }
    const capacity = Math.min(MESSAGES_KEPT, this.from.length * 2);
    const grow = <T extends Uint16Array | Uint8Array | Uint32Array | Float64Array>(array: T, make: (length: number) => T): T => {
      const next = make(capacity);
      next.set(array);
      return next;
    };
    this.from = grow(this.from, (length) => new Uint16Array(length));
    this.to = grow(this.to, (length) => new Uint16Array(length));
    this.type = grow(this.type, (length) => new Uint16Array(length));
    this.drop = grow(this.drop, (length) => new Uint8Array(length));
    this.bytes = grow(this.bytes, (length) => new Uint32Array(length));
    for (const name of ['sentAt', 'sentAtMax', 'sentPosition', 'deliveredAt', 'deliveredPosition'] as const) this[name] = grow(this[name], (length) => new Float64Array(length));
  }

  /** Lets the oldest half go. */
  #compact(): void {
    const half = Math.floor(this.count / 2);
    for (const name of ['from', 'to', 'type', 'drop', 'bytes', 'sentAt', 'sentAtMax', 'sentPosition', 'deliveredAt', 'deliveredPosition'] as const) this[name].copyWithin(0, half, this.count);
    this.count -= half;
    this.dropped += half;
    for (const queue of this.#links.values()) queue.sends = queue.sends.filter((id) => id >= this.dropped);
  }

  #link(from: number, to: number): LinkQueue {
    const key = from * 65_536 + to;
    let queue = this.#links.get(key);
    if (queue === undefined) this.#links.set(key, (queue = { sends: [], deliveries: [] }));
    return queue;
  }

  /** A send's time by id; -Infinity once let go. */
  #sentAtOf(id: number): number {
    const index = id - this.dropped;
    return index < 0 ? Number.NEGATIVE_INFINITY : (this.sentAt[index] as number);
  }

  #push(from: number, to: number, type: number, drop: number, bytes: number, at: number, position: number): number {
    this.#grow();
    const index = this.count++;
    this.from[index] = from;
    this.to[index] = to;
    this.type[index] = type;
    this.drop[index] = drop;
    this.bytes[index] = bytes;
    this.sentAt[index] = at;
    this.sentAtMax[index] = index === 0 ? at : Math.max(at, this.sentAtMax[index - 1] as number);
    this.sentPosition[index] = position;
    this.deliveredAt[index] = Number.NaN;
    this.deliveredPosition[index] = 0;
    return this.dropped + index;
  }

  /** Applies the entry at `position` (positions must come in order). */
  apply(entry: SessionEntry, position: number): void {
    this.consumed = position;
    if (entry.at > this.newestAt) this.newestAt = entry.at;
    const event = entry.event;
    if (event.kind === 'message.sent') {
      const from = this.#intern(this.#peerIds, this.peers, event.peer);
      const to = this.#intern(this.#peerIds, this.peers, event.to);
      const type = this.#intern(this.#typeIds, this.types, event.type);
      const queue = this.#link(from, to);
      // Deliveries from before this send cannot be its own: their sends were not journaled.
      while (queue.deliveries.length > 0 && (queue.deliveries[0] as WaitingDelivery).at < entry.at - CLOCK_SLACK_MS) queue.deliveries.shift();
      const match = queue.deliveries.findIndex((delivery) => delivery.type === type);
      const early = match < 0 ? undefined : (queue.deliveries.splice(0, match + 1).at(-1) as WaitingDelivery);
      const id = this.#push(from, to, type, 0, event.bytes, entry.at, position);
      if (early !== undefined) {
        this.deliveredAt[id - this.dropped] = early.at;
        this.deliveredPosition[id - this.dropped] = early.position;
      } else {
        queue.sends.push(id);
        // Sends waiting longer than any flight were lost (a dead peer's link would grow forever).
        while (queue.sends.length > SENDS_WAITING_MAX || this.#sentAtOf(queue.sends[0] as number) < entry.at - MAX_FLIGHT_MS) queue.sends.shift();
      }
    } else if (event.kind === 'message.delivered') {
      const from = this.#intern(this.#peerIds, this.peers, event.from);
      const to = this.#intern(this.#peerIds, this.peers, event.peer);
      const type = this.#intern(this.#typeIds, this.types, event.type);
      const queue = this.#link(from, to);
      // Sends older than the longest flight were never delivered; so were sends let go.
      while (queue.sends.length > 0) {
        const oldest = (queue.sends[0] as number) - this.dropped;
        if (oldest >= 0 && (this.sentAt[oldest] as number) >= entry.at - MAX_FLIGHT_MS) break;
        queue.sends.shift();
      }
      const match = queue.sends.findIndex((id) => this.type[id - this.dropped] === type);
      const index = match < 0 ? -1 : (queue.sends[match] as number) - this.dropped;
      if (index >= 0 && (this.sentAt[index] as number) <= entry.at + CLOCK_SLACK_MS) {
        // The link keeps its order: the sends before this one on it were lost.
        queue.sends.splice(0, match + 1);
        this.deliveredAt[index] = entry.at;
        this.deliveredPosition[index] = position;
      } else if (queue.sends.every((id) => (this.sentAt[id - this.dropped] ?? 0) > entry.at + CLOCK_SLACK_MS) && queue.deliveries.length < DELIVERIES_WAITING_MAX) {
        // Its send may be journaled after it (another process's event).
        queue.deliveries.push({ at: entry.at, position, type });
      }
    } else if (event.kind === 'message.dropped') {
      const from = this.#intern(this.#peerIds, this.peers, event.peer);
      const to = this.#intern(this.#peerIds, this.peers, event.to);
      const type = this.#intern(this.#typeIds, this.types, event.type);
      this.#push(from, to, type, 1 + this.#intern(this.#reasonIds, this.reasons, event.reason), 0, entry.at, position);
    }
  }

  /** Applies what the timeline holds beyond what this index has (from its first kept entry when it let go of some). */
  sync(timeline: Timeline): void {
    const start = Math.max(this.consumed + 1, timeline.firstPosition + 1);
    for (let position = start; position <= timeline.size; position++) {
      const entry = timeline.entryAt(position);
      if (entry !== undefined) this.apply(entry, position);
    }
    this.consumed = Math.max(this.consumed, timeline.size);
  }

  /** The fate of message `index` at the moment (position, time). */
  fate(index: number, position: number, at: number): number {
    if ((this.drop[index] as number) > 0) return FATE_DROPPED;
    const delivered = this.deliveredPosition[index] as number;
    if (delivered > 0 && delivered <= position) return FATE_DELIVERED;
    return (this.sentAt[index] as number) < at - MAX_FLIGHT_MS ? FATE_LOST : FATE_IN_FLIGHT;
  }

  /** The first message whose (running maximum) send time is at or after `at`. */
  firstSentFrom(at: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sentAtMax[middle] as number) < at) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The messages sent up to position `position`: indexes below the returned one. */
  endAtPosition(position: number): number {
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.sentPosition[middle] as number) <= position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Message `index` as an object, at the moment (position, time). */
  message(index: number, position: number, at: number): DiagramMessage {
    const fate = this.fate(index, position, at);
    const drop = this.drop[index] as number;
    return {
      from: this.peers[this.from[index] as number] as string,
      to: this.peers[this.to[index] as number] as string,
      type: this.types[this.type[index] as number] as string,
      sentAt: this.sentAt[index] as number,
      sentPosition: this.sentPosition[index] as number,
      deliveredAt: fate === FATE_DELIVERED ? (this.deliveredAt[index] as number) : undefined,
      fate: FATE_NAMES[fate] as MessageFate,
      reason: drop > 0 ? this.reasons[drop - 1] : undefined,
      bytes: drop > 0 ? undefined : (this.bytes[index] as number),
    };
  }
}

/**
 * Messages each peer sent (`message.sent`: drops are not sends) from `fromAt` to `toAt` ms,
 * among those journaled up to `position`: what the Cluster view's "sent/s" divides by its seconds.
 */
export function sentCounts(index: MessageIndex, fromAt: number, toAt: number, position: number): Map<string, number> {
  const counts = new Map<string, number>();
  const end = Math.min(index.endAtPosition(position), index.firstSentFrom(toAt));
  for (let at = index.firstSentFrom(fromAt); at < end; at++) {
    if ((index.drop[at] as number) > 0) continue;
    const sentAt = index.sentAt[at] as number;
    if (sentAt < fromAt || sentAt >= toAt) continue;
    const peer = index.peers[index.from[at] as number] as string;
    counts.set(peer, (counts.get(peer) ?? 0) + 1);
  }
  return counts;
}

const indexes = new WeakMap<Timeline, MessageIndex>();

/** The message index of a timeline, brought up to date with it. */
export function messageIndexOf(timeline: Timeline): MessageIndex {
  let index = indexes.get(timeline);
  if (index === undefined) indexes.set(timeline, (index = new MessageIndex()));
  index.sync(timeline);
  return index;
}

export interface DiagramData {
  readonly messages: readonly DiagramMessage[];
  /** Types seen in the window, most frequent first. */
  readonly types: readonly string[];
}

/**
 * The messages sent from `fromAt` to `toAt` among the entries at positions [1, lastPosition], as
 * objects with their fate at the moment (lastPosition, toAt), scoped: the diagram's content in
 * plain data (tests, and the page's hover).
 */
export function buildDiagram(entryAt: (position: number) => SessionEntry | undefined, lastPosition: number, fromAt: number, toAt: number, scope: DiagramScope = {}): DiagramData {
  const index = new MessageIndex();
  for (let position = 1; position <= lastPosition; position++) {
    const entry = entryAt(position);
    if (entry !== undefined) index.apply(entry, position);
  }
  const messages: DiagramMessage[] = [];
  const typeCounts = new Map<string, number>();
  const end = index.endAtPosition(lastPosition);
  for (let at = index.firstSentFrom(fromAt); at < end; at++) {
    const message = index.message(at, lastPosition, toAt);
    if (message.sentAt < fromAt || message.sentAt > toAt) continue;
    typeCounts.set(message.type, (typeCounts.get(message.type) ?? 0) + 1);
    if (scope.peer !== undefined && message.from !== scope.peer && message.to !== scope.peer) continue;
    if (scope.type !== undefined && message.type !== scope.type) continue;
    messages.push(message);
  }
  return { messages, types: [...typeCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([type]) => type) };
}

/**
 * Colours for message types: distinct on the dark background and none of them the red of a
 * dropped message (Tableau 10 without its red, and four more).
 */
const TYPE_COLORS = ['#4e79a7', '#f28e2b', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac', '#86bcb6', '#d4a6c8', '#a0cbe8', '#8cd17d'] as const;
/** Types seen so far, in order: each keeps its colour for the session. */
const typeOrder = new Map<string, number>();

/** A stable colour per message type: the first types seen get the most distinct colours. */
export function typeColor(type: string): string {
  let index = typeOrder.get(type);
  if (index === undefined) typeOrder.set(type, (index = typeOrder.size));
  return TYPE_COLORS[index % TYPE_COLORS.length] as string;
}
