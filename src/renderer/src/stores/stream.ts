/**
 * The event stream, applied once per animation frame: batches arrive every 50 ms or so, and
 * every consumer (log, charts, membership, peers) gets them together in one frame, so the page
 * does its work once per frame rather than once per message.
 *
 * It also measures how late entries reach the screen: `now − entry.at` when the frame applies
 * them (the peers and the window share this machine's clock), and counts the entries this
 * window never got: those the server dropped because the window read too slowly (a batch's
 * `dropped`, the oldest before it) and those that came while it was disconnected (a gap in the
 * journal's seqs), so the window can say it fell behind.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { SessionEntry } from '../../../shared/journal/session.ts';
import type { PeerSummaryWire } from '../../../shared/api/cluster-api.ts';
import { clusterClient } from './client.ts';

export interface FrameBatch {
  readonly entries: readonly SessionEntry[];
  /** The newest peer summaries, when they changed. */
  readonly peers: readonly PeerSummaryWire[] | undefined;
  /** Entries before this batch's that this window never got. */
  readonly missed: number;
  /** When the frame applied this batch (ms since the epoch). */
  readonly now: number;
}

type Consumer = (batch: FrameBatch) => void;

const DELAY_SAMPLES_MAX = 512;
/** The frames the status bar's delay figure is the median of (see `medianDelayMs`). */
export const DELAY_WINDOW_FRAMES = 30;

/**
 * The status bar's delay figure, in ms: the median of the last `DELAY_WINDOW_FRAMES` delay
 * samples (fewer while fewer exist; undefined with none). One sample per animation frame that
 * applied at least one entry: that frame's time minus its newest entry's `at`, i.e. how late the
 * freshest event of the frame reached the screen. With an even count, the mean of the two middle
 * samples, rounded to a whole ms.
 */
export function medianDelayMs(samples: readonly number[]): number | undefined {
  const recent = samples.slice(-DELAY_WINDOW_FRAMES).sort((a, b) => a - b);
  if (recent.length === 0) return undefined;
  const middle = Math.floor(recent.length / 2);
  return recent.length % 2 === 1 ? (recent[middle] as number) : Math.round(((recent[middle - 1] as number) + (recent[middle] as number)) / 2);
}
const HIDDEN_PAGE_APPLY_MS = 500;

export const useStreamStore = defineStore('stream', () => {
  const consumers = new Set<Consumer>();
  let entries: SessionEntry[] = [];
  let peers: PeerSummaryWire[] | undefined;
  let missed = 0;
  /** The newest entry's seq, once one came: the next is expected right after it. */
  let lastSeq: number | undefined;
  let frameRequested = false;
  let started = false;
  /** Entries received in all, and those this window never got (see the header). */
  const received = ref(0);
  const missedTotal = ref(0);
  /**
   * The newest delays from peer to screen, ms, oldest first (one per frame that brought entries).
   * A shallow ref: each frame assigns a new array (never pushes into the current one), or
   * nothing that reads it would see the new sample.
   */
  const delaysMs = shallowRef<readonly number[]>([]);

  const schedule = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (callback: () => void) => setTimeout(callback, 16);

  function apply(): void {
    if (!frameRequested) return;
    frameRequested = false;
    const now = Date.now();
    const batch: FrameBatch = { entries, peers, missed, now };
    entries = [];
    peers = undefined;
    missed = 0;
    received.value += batch.entries.length;
    missedTotal.value += batch.missed;
    const newest = batch.entries[batch.entries.length - 1];
    if (newest !== undefined) {
      delaysMs.value = [...delaysMs.value.slice(-(DELAY_SAMPLES_MAX - 1)), now - newest.at];
    }
    for (const consumer of consumers) {
      try {
        consumer(batch);
      } catch (error) {
        console.error('ringside: a view failed to apply events', error);
      }
    }
  }

  /** Starts listening (once); every consumer gets each frame's batch. */
  function start(): void {
    if (started) return;
    started = true;
    clusterClient().onEvents((events) => {
      // The server's count says which seqs it skipped; a gap beyond them came while this window
      // was not connected. A seq that goes back is a journal that began again: nothing missed.
      const dropped = events.dropped ?? 0;
      missed += dropped;
      if (lastSeq !== undefined) lastSeq += dropped;
      for (const entry of events.entries) {
        if (lastSeq !== undefined && entry.seq > lastSeq + 1) missed += entry.seq - lastSeq - 1;
        lastSeq = entry.seq;
        entries.push(entry);
      }
      if (events.peers !== undefined) peers = events.peers;
      if (!frameRequested) {
        frameRequested = true;
        schedule(apply);
        // A hidden page gets no frames: apply anyway now and then, so nothing piles up.
        setTimeout(apply, HIDDEN_PAGE_APPLY_MS);
      }
    });
  }

  function consume(consumer: Consumer): () => void {
    consumers.add(consumer);
    return () => consumers.delete(consumer);
  }

  /** Applies what is waiting now (tests; a hidden page gets no animation frames). */
  function flush(): void {
    apply();
  }

  return { received, missedTotal, delaysMs, start, consume, flush };
});
