/**
 * One client's event stream: the journal's new entries and the peers' summaries, batched at
 * most every `EVENT_BATCH_INTERVAL_MS`. The web server keeps one per WebSocket, the Electron
 * shell one per window.
 *
 * A client that reads slowly (`busy()` says so) keeps its backlog, bounded: past `backlogMax`
 * the oldest entries are dropped and the next batch says how many.
 */
import { EVENT_BATCH_INTERVAL_MS, type ApiEvents } from '../../shared/api/cluster-api.ts';
import type { SessionEntry } from '../../shared/journal/session.ts';
import type { ClusterManager, PeerSummary } from './manager.ts';

export const FEED_BACKLOG_MAX = 50_000;

export interface EventFeedOptions {
  /** True while the client cannot take a batch (its socket is full); the batch waits. */
  readonly busy?: () => boolean;
  readonly backlogMax?: number;
  readonly intervalMs?: number;
}

export class EventFeed {
  readonly #deliver: (batch: ApiEvents) => void;
  readonly #options: EventFeedOptions;
  readonly #unsubscribe: (() => void)[];
  #entries: SessionEntry[] = [];
  #peers: PeerSummary[] | undefined;
  #dropped = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(manager: ClusterManager, deliver: (batch: ApiEvents) => void, options: EventFeedOptions = {}) {
    this.#deliver = deliver;
    this.#options = options;
    // The first batch tells a new client who is there.
    this.#peers = manager.peers();
    this.#unsubscribe = [
      manager.journal.subscribe((entry) => {
        if (this.#entries.length >= (options.backlogMax ?? FEED_BACKLOG_MAX)) {
          this.#entries.shift();
          this.#dropped++;
        }
        this.#entries.push(entry);
        this.#schedule();
      }),
      manager.onPeersChanged((peers) => {
        this.#peers = peers;
        this.#schedule();
      }),
    ];
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    clearTimeout(this.#timer);
    this.#entries = [];
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer ??= setTimeout(() => this.#flush(), this.#options.intervalMs ?? EVENT_BATCH_INTERVAL_MS);
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#closed || (this.#entries.length === 0 && this.#peers === undefined)) return;
    if (this.#options.busy?.() === true) {
      this.#schedule();
      return;
    }
    const batch: ApiEvents = { t: 'events', entries: this.#entries };
    if (this.#peers !== undefined) batch.peers = this.#peers;
    if (this.#dropped > 0) batch.dropped = this.#dropped;
    this.#entries = [];
    this.#peers = undefined;
    this.#dropped = 0;
    this.#deliver(batch);
  }
}
