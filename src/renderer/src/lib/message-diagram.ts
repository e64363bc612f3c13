/**
 * The space-time (Lamport) diagram's data: the messages between peers in a window of time, each
 * with its send and, when it came, its delivery, from the journal's message events.
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
 * `maxFlightMs` before it. (The simulator's emulated network reorders messages it delays, so the
 * pairing of a simulated journal with delays is approximate: journals carry no message ids yet.)
 *
 * Bounds: at most `MESSAGES_MAX` messages are returned (the newest), sends unpaired for longer
 * than the window are dropped from the pairing queue, and the scan reads at most `ENTRIES_MAX`
 * entries.
 */
import type { SessionEntry } from '../../../shared/journal/session.ts';

/** Messages a diagram holds at most. */
export const MESSAGES_MAX = 200_000;
/** Entries one build reads at most. */
export const ENTRIES_MAX = 2_000_000;
/** The longest a message is taken to be in flight, ms: injected delays stay below it. */
export const MAX_FLIGHT_MS = 5000;
/** How much earlier than its window a diagram reads, ms: the sends whose deliveries it may hold. */
export const PAIRING_LEAD_MS = MAX_FLIGHT_MS;
/** Two processes' clocks on one machine: a delivery is never journaled this much before its send. */
const CLOCK_SLACK_MS = 5;
/** Deliveries waiting for their send on one link and type, at most. */
const DELIVERIES_WAITING_MAX = 1000;

/** Delivered; dropped by its sender; in flight at the moment shown; or lost: not delivered within `MAX_FLIGHT_MS`. */
export type MessageFate = 'delivered' | 'dropped' | 'in-flight' | 'lost';

export interface DiagramMessage {
  readonly from: string;
  readonly to: string;
  readonly type: string;
  /** When it was sent (or dropped), ms since the epoch, and its entry's position on the timeline. */
  readonly sentAt: number;
  readonly sentPosition: number;
  /** When it was delivered; undefined when dropped or not (yet) delivered. */
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

export interface DiagramData {
  readonly messages: readonly DiagramMessage[];
  /** Types seen in the window, most frequent first. */
  readonly types: readonly string[];
  /** Messages left out past `MESSAGES_MAX`. */
  readonly omitted: number;
}

interface PendingSend {
  readonly at: number;
  readonly type: string;
  /** Index in the output, to fill in its delivery; -1 for a send before the window (not drawn). */
  readonly index: number;
}

interface WaitingDelivery {
  readonly at: number;
  readonly type: string;
}

/** What waits on one directed link: sends not yet delivered, or deliveries whose send is not in yet. */
interface LinkQueue {
  sends: PendingSend[];
  deliveries: WaitingDelivery[];
}

/**
 * The messages sent from `fromAt` to `toAt` (ms), from `entryAt(position)` for positions
 * [firstPosition, lastPosition] (1-based, inclusive), scoped. Start a little before `fromAt`
 * (`PAIRING_LEAD_MS`): the sends just before the window are paired with their deliveries in it.
 */
export function buildDiagram(
  entryAt: (position: number) => SessionEntry | undefined,
  firstPosition: number,
  lastPosition: number,
  fromAt: number,
  toAt: number,
  scope: DiagramScope = {},
  maxFlightMs = MAX_FLIGHT_MS,
): DiagramData {
  const messages: (DiagramMessage & { deliveredAt: number | undefined; fate: MessageFate })[] = [];
  const pending = new Map<string, LinkQueue>();
  const typeCounts = new Map<string, number>();
  const wanted = (from: string, to: string, type: string): boolean =>
    (scope.peer === undefined || from === scope.peer || to === scope.peer) && (scope.type === undefined || type === scope.type);
  const queueOf = (from: string, to: string): LinkQueue => {
    const link = `${from}>${to}`;
    let queue = pending.get(link);
    if (queue === undefined) pending.set(link, (queue = { sends: [], deliveries: [] }));
    return queue;
  };
  const lose = (send: PendingSend): void => {
    const message = messages[send.index];
    if (message !== undefined) message.fate = 'lost';
  };
  const count = (type: string): void => {
    typeCounts.set(type, (typeCounts.get(type) ?? 0) + 1);
  };
  const last = Math.min(lastPosition, firstPosition + ENTRIES_MAX - 1);
  for (let position = Math.max(1, firstPosition); position <= last; position++) {
    const entry = entryAt(position);
    if (entry === undefined) continue;
    const event = entry.event;
    if (event.kind === 'message.sent') {
      if (entry.at > toAt) continue;
      const inWindow = entry.at >= fromAt;
      if (inWindow) count(event.type);
      // Every send of the link is queued (scoped out or not): pairing needs the link's whole order.
      const queue = queueOf(event.peer, event.to);
      // Deliveries from before this send cannot be its own: their sends were not journaled.
      while (queue.deliveries.length > 0 && (queue.deliveries[0] as WaitingDelivery).at < entry.at - CLOCK_SLACK_MS) queue.deliveries.shift();
      const match = queue.deliveries.findIndex((delivery) => delivery.type === event.type);
      const early = match < 0 ? undefined : (queue.deliveries.splice(0, match + 1).at(-1) as WaitingDelivery);
      const shown = inWindow && wanted(event.peer, event.to, event.type);
      if (shown) {
        messages.push({
          from: event.peer,
          to: event.to,
          type: event.type,
          sentAt: entry.at,
          sentPosition: position,
          deliveredAt: early?.at,
          fate: early === undefined ? 'in-flight' : 'delivered',
          reason: undefined,
          bytes: event.bytes,
        });
      }
      if (early === undefined) queue.sends.push({ at: entry.at, type: event.type, index: shown ? messages.length - 1 : -1 });
    } else if (event.kind === 'message.delivered') {
      const queue = queueOf(event.from, event.peer);
      // Sends older than the longest flight were never delivered.
      while (queue.sends.length > 0 && (queue.sends[0] as PendingSend).at < entry.at - maxFlightMs) lose(queue.sends.shift() as PendingSend);
      const match = queue.sends.findIndex((send) => send.type === event.type);
      const send = match < 0 ? undefined : queue.sends[match];
      if (send !== undefined && send.at <= entry.at + CLOCK_SLACK_MS) {
        // The link keeps its order: the sends before this one on it were lost.
        for (const lost of queue.sends.splice(0, match + 1).slice(0, -1)) lose(lost);
        const message = messages[send.index];
        if (message !== undefined) {
          message.deliveredAt = entry.at;
          message.fate = 'delivered';
        }
      } else if (queue.sends.every((waiting) => waiting.at > entry.at + CLOCK_SLACK_MS) && queue.deliveries.length < DELIVERIES_WAITING_MAX) {
        // Its send may be journaled after it (another process's event).
        queue.deliveries.push({ at: entry.at, type: event.type });
      }
    } else if (event.kind === 'message.dropped') {
      if (entry.at < fromAt || entry.at > toAt) continue;
      count(event.type);
      if (!wanted(event.peer, event.to, event.type)) continue;
      messages.push({ from: event.peer, to: event.to, type: event.type, sentAt: entry.at, sentPosition: position, deliveredAt: undefined, fate: 'dropped', reason: event.reason, bytes: undefined });
    }
  }
  // Still waiting at the moment shown, for longer than any flight: never delivered.
  for (const queue of pending.values()) for (const send of queue.sends) if (send.at < toAt - maxFlightMs) lose(send);
  const omitted = Math.max(0, messages.length - MESSAGES_MAX);
  const types = [...typeCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([type]) => type);
  return { messages: omitted > 0 ? messages.slice(omitted) : messages, types, omitted };
}

/** A stable colour per message type (hue from its name), so a type keeps its colour. */
export function typeColor(type: string): string {
  let hash = 0;
  for (let index = 0; index < type.length; index++) hash = (hash * 31 + type.charCodeAt(index)) >>> 0;
  return `hsl(${hash % 360} 70% 62%)`;
}
