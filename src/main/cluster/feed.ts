/**
 * One client's event stream: the journal's new entries and the peers' summaries, batched at
 * most every `EVENT_BATCH_INTERVAL_MS`. The web server keeps one per WebSocket, the Electron
 * shell one per window.
 *
 * A client gets its next batch once its transport has sent the last one (`queuedBytes()` is
 * 0). One that reads slowly keeps a backlog bounded by bytes: past `backlogBytesMax` the
 * oldest entries are dropped and the next batch says how many. One whose transport has not
 * sent a byte for `stalledMsMax` is given up: `onStalled` hears how far behind it is and the
 * feed closes. Each entry is serialized once, whatever the number of clients, and costs each
 * client O(1) (amortized): a slow client never costs the others, or the API, more than that.
 */
import { EVENT_BATCH_INTERVAL_MS, type ApiEvents } from '../../shared/api/cluster-api.ts';
import type { SessionEntry } from '../../shared/journal/session.ts';
import type { ClusterManager, PeerSummary } from './manager.ts';

/**
 * Bytes of entries (their JSON) one client may have waiting: a few seconds of a busy 64-peer
 * cluster (~250 bytes an entry, ~16,000 entries). The text is shared by every client's backlog,
 * so twenty slow clients hold one copy of it, not twenty.
 */
export const FEED_BACKLOG_BYTES_MAX = 4 * 1_048_576;
/**
 * Bytes of entries in one batch, at most (a single larger entry goes alone). A reply to a
 * client's request waits behind at most one batch of its own, and a page parses one in a few ms;
 * a client that keeps up still gets up to 20 MiB/s at one batch per 50 ms.
 */
export const FEED_BATCH_BYTES_MAX = 1_048_576;
/** A client whose socket sent nothing for this long is not reading: longer than any GC pause or throttled tab's hiccup. */
export const FEED_STALLED_MS_MAX = 10_000;
/** Entries taken from the front of a backlog before its arrays are compacted (amortized O(1)). */
const COMPACT_AFTER = 4096;

export interface EventFeedOptions {
  /**
   * Bytes the client's transport still holds (a WebSocket's `bufferedAmount`). Above 0 the
   * next batch waits; a count that has not shrunk for `stalledMsMax` means the client stopped
   * reading. Without it the client is never busy (IPC to a window).
   */
  readonly queuedBytes?: () => number;
  /** The backlog's bound, in bytes of entry JSON (default `FEED_BACKLOG_BYTES_MAX`). */
  readonly backlogBytesMax?: number;
  /** One batch's bound, in bytes of entry JSON (default `FEED_BATCH_BYTES_MAX`). */
  readonly batchBytesMax?: number;
  /** How long a client's queue may go without shrinking before `onStalled` (default `FEED_STALLED_MS_MAX`). */
  readonly stalledMsMax?: number;
  /** The client stopped reading; `behind` counts the entries it has not had. The feed is closed. */
  readonly onStalled?: (behind: number) => void;
  readonly intervalMs?: number;
}

/**
 * Receives one batch; `text()` is the batch as JSON, the same as `JSON.stringify(batch)`, but
 * made from each entry's text serialized once for all clients.
 */
export type DeliverBatch = (batch: ApiEvents, text: () => string) => void;

/**
 * The JSON of one entry. The journal hands each entry to every feed in turn before the next
 * one, so one slot serializes each entry once whatever the number of feeds, without keeping the
 * text of entries no feed holds any more.
 */
let lastEntry: SessionEntry | undefined;
let lastText = '';
export function entryText(entry: SessionEntry): string {
  if (entry !== lastEntry) {
    lastText = JSON.stringify(entry);
    lastEntry = entry;
  }
  return lastText;
}

export class EventFeed {
  readonly #deliver: DeliverBatch;
  readonly #queuedBytes: () => number;
  readonly #backlogBytesMax: number;
  readonly #batchBytesMax: number;
  readonly #stalledMsMax: number;
  readonly #onStalled: ((behind: number) => void) | undefined;
  readonly #intervalMs: number;
  readonly #unsubscribe: (() => void)[];
  /** The backlog: entries and their texts from `#head` on, oldest first. */
  #entries: SessionEntry[] = [];
  #texts: string[] = [];
  #head = 0;
  #bytes = 0;
  #peers: PeerSummary[] | undefined;
  #dropped = 0;
  /** Since when the client's queue has not shrunk, while it is busy; and its size then. */
  #stuckSince: number | undefined;
  #queuedBefore = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(manager: ClusterManager, deliver: DeliverBatch, options: EventFeedOptions = {}) {
    this.#deliver = deliver;
    this.#queuedBytes = options.queuedBytes ?? (() => 0);
    this.#backlogBytesMax = options.backlogBytesMax ?? FEED_BACKLOG_BYTES_MAX;
    this.#batchBytesMax = options.batchBytesMax ?? FEED_BATCH_BYTES_MAX;
    this.#stalledMsMax = options.stalledMsMax ?? FEED_STALLED_MS_MAX;
    this.#onStalled = options.onStalled;
    this.#intervalMs = options.intervalMs ?? EVENT_BATCH_INTERVAL_MS;
    // The first batch tells a new client who is there.
    this.#peers = manager.peers();
    this.#unsubscribe = [
      manager.journal.subscribe((entry) => {
        this.#append(entry);
        this.#schedule();
      }),
      manager.onPeersChanged((peers) => {
        this.#peers = peers;
        this.#schedule();
      }),
    ];
    this.#schedule();
  }

  /** Bytes of entry JSON waiting for this client; never more than the bound. */
  get backlogBytes(): number {
    return this.#bytes;
  }

  /** Entries waiting for this client. */
  get backlogLength(): number {
    return this.#entries.length - this.#head;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    clearTimeout(this.#timer);
    this.#entries = [];
    this.#texts = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #append(entry: SessionEntry): void {
    const text = entryText(entry);
    this.#entries.push(entry);
    this.#texts.push(text);
    this.#bytes += text.length;
    // An entry larger than the whole bound goes too: the bound holds whatever comes.
    while (this.#bytes > this.#backlogBytesMax) {
      this.#bytes -= this.#texts[this.#head]!.length;
      this.#head++;
      this.#dropped++;
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#texts = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#texts = this.#texts.slice(this.#head);
      this.#head = 0;
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => this.#flush(), this.#intervalMs);
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#closed || (this.backlogLength === 0 && this.#peers === undefined && this.#dropped === 0)) return;
    const queued = this.#queuedBytes();
    if (queued > 0) {
      // A client that takes its data, however slowly, is still reading.
      const now = Date.now();
      if (this.#stuckSince === undefined || queued < this.#queuedBefore) this.#stuckSince = now;
      this.#queuedBefore = queued;
      if (now - this.#stuckSince >= this.#stalledMsMax && this.#onStalled !== undefined) {
        const behind = this.backlogLength + this.#dropped;
        this.close();
        this.#onStalled(behind);
        return;
      }
      this.#schedule();
      return;
    }
    this.#stuckSince = undefined;
    // Whole entries up to the batch's bound, at least one.
    let end = this.#head;
    let bytes = 0;
    while (end < this.#entries.length && (end === this.#head || bytes + this.#texts[end]!.length <= this.#batchBytesMax)) {
      bytes += this.#texts[end]!.length;
      end++;
    }
    const entries = this.#entries.slice(this.#head, end);
    const texts = this.#texts.slice(this.#head, end);
    this.#head = end;
    this.#bytes -= bytes;
    this.#compact();
    const batch: ApiEvents = { t: 'events', entries };
    if (this.#peers !== undefined) batch.peers = this.#peers;
    if (this.#dropped > 0) batch.dropped = this.#dropped;
    this.#peers = undefined;
    this.#dropped = 0;
    // The rest of a long backlog goes in the next batches, one an interval.
    if (this.backlogLength > 0) this.#schedule();
    this.#deliver(batch, () => batchText(batch, texts));
  }
}

/** `JSON.stringify(batch)`, from the entries' texts. */
function batchText(batch: ApiEvents, texts: readonly string[]): string {
  let text = `{"t":"events","entries":[${texts.join(',')}]`;
  if (batch.peers !== undefined) text += `,"peers":${JSON.stringify(batch.peers)}`;
  if (batch.dropped !== undefined) text += `,"dropped":${batch.dropped}`;
  return `${text}}`;
}
