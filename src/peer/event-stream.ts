/**
 * A peer's journal events on their way to its control clients: each subscriber gets them in
 * batches (at most every `EVENT_FLUSH_MS`), stamped with the wall-clock time they happened. What
 * happens before the first client subscribes (the start, the join) is kept for it, so the manager
 * that spawned the peer sees its whole life. Messages sent, delivered and dropped are many: they go
 * only to subscribers that asked for them.
 *
 * Bounded: a slow subscriber keeps at most `SUBSCRIBER_EVENTS_MAX` events (older ones are counted
 * and said dropped), and gets no batch while its socket holds more than `SUBSCRIBER_BUFFER_MAX`.
 */
import type { JournalEvent } from '../shared/journal/events.ts';
import type { StampedEvent } from '../shared/protocol/control.ts';
import type { ControlChannel } from './transport.ts';

/** Event batches go to control clients at most this often. */
export const EVENT_FLUSH_MS = 20;
/** Events kept for one slow control client, at most; more are dropped and counted. */
const SUBSCRIBER_EVENTS_MAX = 100_000;
/** A control client's socket holding more than this unsent gets no more batches for now. */
const SUBSCRIBER_BUFFER_MAX = 8 * 1_048_576;
/** Events kept for the first control client, from before it subscribed. */
const BACKLOG_MAX = 1000;

interface Subscriber {
  readonly channel: ControlChannel;
  messages: boolean;
  pending: StampedEvent[];
  dropped: number;
}

export interface EventStreamOptions {
  /** The peer's id, for the line that says events were dropped. */
  readonly peer: string;
  /** The peer's current tick. */
  readonly now: () => number;
}

export class EventStream {
  readonly #options: EventStreamOptions;
  readonly #subscribers = new Map<ControlChannel, Subscriber>();
  #backlog: StampedEvent[] | undefined = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #messages = false;
  #closed = false;

  constructor(options: EventStreamOptions) {
    this.#options = options;
  }

  /** Whether some subscriber wants message events: the peer need not make them otherwise. */
  get wantsMessages(): boolean {
    return this.#messages;
  }

  /** `channel` subscribes (again: it changes whether it wants messages). It is dropped when it closes. */
  subscribe(channel: ControlChannel, messages: boolean): void {
    let subscriber = this.#subscribers.get(channel);
    if (subscriber === undefined) {
      subscriber = { channel, messages, pending: this.#backlog ?? [], dropped: 0 };
      this.#backlog = undefined;
      this.#subscribers.set(channel, subscriber);
      channel.onClose(() => {
        this.#subscribers.delete(channel);
        this.#updateMessages();
      });
      this.#schedule(EVENT_FLUSH_MS);
    }
    subscriber.messages = messages;
    this.#updateMessages();
  }

  emit(event: JournalEvent): void {
    if (this.#closed) return;
    const stamped: StampedEvent = { at: Date.now(), event };
    if (this.#subscribers.size === 0) {
      if (this.#backlog !== undefined && this.#backlog.length < BACKLOG_MAX) this.#backlog.push(stamped);
      return;
    }
    const isMessage = event.kind === 'message.sent' || event.kind === 'message.delivered' || event.kind === 'message.dropped';
    for (const subscriber of this.#subscribers.values()) {
      if (isMessage && !subscriber.messages) continue;
      if (subscriber.pending.length >= SUBSCRIBER_EVENTS_MAX) {
        subscriber.dropped++;
        continue;
      }
      subscriber.pending.push(stamped);
    }
    this.#schedule(EVENT_FLUSH_MS);
  }

  /** Sends what is pending to every subscriber that can take it now. */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    for (const subscriber of this.#subscribers.values()) {
      if (subscriber.pending.length === 0) continue;
      if (subscriber.channel.buffered > SUBSCRIBER_BUFFER_MAX) {
        this.#schedule(EVENT_FLUSH_MS * 5);
        continue;
      }
      if (subscriber.dropped > 0) {
        subscriber.pending.push({
          at: Date.now(),
          event: { kind: 'log', tick: this.#options.now(), peer: this.#options.peer, text: `${subscriber.dropped} events were dropped: the control client read too slowly` },
        });
        subscriber.dropped = 0;
      }
      const events = subscriber.pending;
      subscriber.pending = [];
      subscriber.channel.send(JSON.stringify({ t: 'events', events }));
    }
  }

  /** Sends what is pending, then takes no more events. */
  close(): void {
    this.flush();
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#flushTimer ??= setTimeout(() => this.flush(), ms);
  }

  #updateMessages(): void {
    this.#messages = [...this.#subscribers.values()].some((subscriber) => subscriber.messages);
  }
}
