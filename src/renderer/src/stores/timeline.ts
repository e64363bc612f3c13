/**
 * The window's one timeline: the session journal as a `Timeline` (`shared/journal/timeline.ts`)
 * and a cursor on it. Every view that can show the past reads `world`: the live world while the
 * cursor follows the newest entry, the world at the cursor once the user pauses, steps, plays or
 * drags the strip. An imported journal gets a timeline of its own and is shown the same way, all
 * of it the past (no peer of it runs).
 *
 * The live timeline is filled oldest first: what the server's memory window holds, page by page,
 * while the stream's entries wait, then the stream. Its `complete` says whether it starts at the
 * session's first entry (else older entries were dropped by the server and the views built from
 * it are missing what happened before: they say so).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { SessionEntry } from '../../../shared/journal/session.ts';
import { Timeline, type World } from '../../../shared/journal/timeline.ts';
import { clusterClient } from './client.ts';
import { useStreamStore } from './stream.ts';

/** Entries asked for at once while loading what the server holds. */
const HISTORY_PAGE = 25_000;
/** Pages at most (the server's memory window is bounded by entries and bytes). */
const HISTORY_PAGES_MAX = 200;
/** Stream entries held while the history loads, at most (past it, the history is let go). */
const HELD_ENTRIES_MAX = 500_000;
/** Play pressed while live replays this much of the session before now, ms. */
export const REPLAY_FROM_LIVE_MS = 30_000;
/** Playback speeds offered, × real time. */
export const PLAY_SPEEDS = [0.5, 1, 2, 5, 10, 50] as const;

export type TimelineSource = 'live' | 'imported';

export const useTimelineStore = defineStore('timeline', () => {
  const live = new Timeline();
  let imported: Timeline | undefined;
  const source = ref<TimelineSource>('live');
  const importedName = ref<string | undefined>(undefined);
  /** Bumped (at most once per frame) when the shown timeline changed. */
  const version = ref(0);
  /** The position shown; undefined: the newest (live). */
  const cursor = ref<number | undefined>(undefined);
  const playing = ref(false);
  const speed = ref<number>(10);
  const history = ref<'idle' | 'loading' | 'loaded' | 'failed'>('idle');
  /** The live timeline begins with the session's first entry. */
  const complete = ref(true);
  /**
   * The moment chosen, ms since the epoch, when it was chosen by time (a click on the strip, a
   * tick step, a playback): it lies between two entries' times. Undefined when chosen by entry.
   */
  const chosenAt = ref<number | undefined>(undefined);
  let lastFrame: number | undefined;
  let held: SessionEntry[] | undefined;
  let newestSeq = -1;
  let started = false;

  const shown = (): Timeline => (source.value === 'imported' && imported !== undefined ? imported : live);

  /** The shown timeline itself; read it under `version`. */
  function timeline(): Timeline {
    return shown();
  }

  const isPast = computed(() => source.value === 'imported' || cursor.value !== undefined);
  const world = shallowRef<World>(live.live());
  const size = computed(() => {
    void version.value;
    return shown().size;
  });
  /** The position shown: the cursor, or the newest. */
  const position = computed(() => cursor.value ?? size.value);

  function refresh(): void {
    const line = shown();
    world.value = cursor.value === undefined ? line.live() : line.worldAt(cursor.value);
  }

  let refreshRequested = false;
  function bump(): void {
    version.value++;
    // The live world follows new entries; a past moment does not move.
    if (cursor.value === undefined && !refreshRequested) {
      refreshRequested = true;
      queueMicrotask(() => {
        refreshRequested = false;
        refresh();
      });
    }
  }

  function append(entries: readonly SessionEntry[]): void {
    if (held !== undefined) {
      for (const entry of entries) if (held.length < HELD_ENTRIES_MAX) held.push(entry);
      return;
    }
    // The stream may repeat the newest entries of the history: each entry is applied once.
    const fresh = entries.filter((entry) => entry.seq > newestSeq);
    if (fresh.length === 0) return;
    newestSeq = (fresh[fresh.length - 1] as SessionEntry).seq;
    live.append(fresh);
    if (source.value === 'live') bump();
  }

  /** Loads what the server holds, oldest first, then follows the stream (once). */
  function start(): void {
    if (started) return;
    started = true;
    held = [];
    useStreamStore().consume((batch) => append(batch.entries));
    void loadHistory();
  }

  async function loadHistory(): Promise<void> {
    history.value = 'loading';
    const loaded: SessionEntry[] = [];
    try {
      const client = clusterClient();
      let since = -1;
      for (let page = 0; page < HISTORY_PAGES_MAX; page++) {
        const answer = await client.journalEntries(since, HISTORY_PAGE);
        for (const entry of answer) loaded.push(entry);
        const last = answer[answer.length - 1];
        if (last === undefined || answer.length < HISTORY_PAGE) break;
        since = last.seq;
      }
      history.value = 'loaded';
    } catch {
      history.value = 'failed';
    }
    complete.value = loaded.length === 0 || (loaded[0] as SessionEntry).seq === 0;
    const waiting = held ?? [];
    held = undefined;
    append(loaded);
    append(waiting);
    refresh();
  }

  /** An imported journal's timeline, filled while the file is read: shown by `showImported`. */
  function beginImport(): Timeline {
    return new Timeline();
  }

  function showImported(line: Timeline, name: string): void {
    pause();
    imported = line;
    importedName.value = name;
    source.value = 'imported';
    // An imported journal opens at its last moment, all of it in the log; ⏮ and play replay it.
    cursor.value = line.size;
    version.value++;
    refresh();
  }

  /** Back to the live session (an imported journal is let go) at its newest moment. */
  function goLive(): void {
    pause();
    if (source.value === 'imported') {
      imported = undefined;
      importedName.value = undefined;
      source.value = 'live';
    }
    cursor.value = undefined;
    chosenAt.value = undefined;
    version.value++;
    refresh();
  }

  /** Shows the world after the `target`-th entry (clamped to what the timeline keeps). */
  function seek(target: number): void {
    const line = shown();
    cursor.value = Math.max(line.firstPosition, Math.min(line.size, Math.round(target)));
    chosenAt.value = undefined;
    refresh();
  }

  /** Shows the moment `at` (ms since the epoch): after the last entry at or before it. */
  function seekTime(at: number): void {
    seek(shown().positionAtTime(at));
    chosenAt.value = at;
  }

  /** One entry forward or back. */
  function step(direction: 1 | -1): void {
    pause();
    seek(position.value + direction);
  }

  /**
   * One tick of the moment's cluster forward or back (100 ms when its tick is not known): to the
   * end of the next (or previous) tick, as real peers count ticks (ms since the epoch / tick).
   */
  function stepTick(direction: 1 | -1): void {
    pause();
    const line = shown();
    const at = chosenAt.value ?? line.timeAt(position.value);
    if (at === undefined) return;
    const tickMs = world.value.epoch.tickMs ?? 100;
    const tick = Math.floor(at / tickMs);
    // The last ms of a tick: the world after every entry of that tick.
    const end = (tick + direction) * tickMs + tickMs - 1;
    seekTime(direction === 1 && end <= at ? end + tickMs : end);
  }

  const schedule = (callback: (now: number) => void): void => {
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(callback);
    else setTimeout(() => callback(performance.now()), 16);
  };

  function frame(now: number): void {
    if (!playing.value) return;
    const line = shown();
    const span = line.span;
    if (span === undefined) {
      pause();
      return;
    }
    const elapsed = lastFrame === undefined ? 0 : now - lastFrame;
    lastFrame = now;
    const at = (chosenAt.value ?? line.timeAt(position.value) ?? span.fromAt) + elapsed * speed.value;
    if (at >= span.toAt) {
      // The end: live again for the session, the last moment for an imported journal.
      if (source.value === 'live') goLive();
      else {
        seek(line.size);
        pause();
      }
      return;
    }
    cursor.value = Math.max(line.firstPosition, line.positionAtTime(at));
    chosenAt.value = at;
    refresh();
    schedule(frame);
  }

  function play(): void {
    if (playing.value) return;
    const line = shown();
    const span = line.span;
    if (span === undefined) return;
    // From the live edge there is nothing ahead: replay the last `REPLAY_FROM_LIVE_MS`.
    if (cursor.value === undefined || cursor.value >= line.size) seekTime(Math.max(span.fromAt, span.toAt - REPLAY_FROM_LIVE_MS));
    playing.value = true;
    lastFrame = undefined;
    schedule(frame);
  }

  function pause(): void {
    playing.value = false;
    lastFrame = undefined;
  }

  /** Stops following the newest entry: the world stays at this moment. */
  function freeze(): void {
    if (cursor.value === undefined) seek(shown().size);
  }

  function togglePlay(): void {
    if (playing.value) pause();
    else play();
  }

  /** The moment shown, ms since the epoch: the time chosen, or the newest entry's (undefined before any entry). */
  const momentAt = computed(() => (cursor.value !== undefined && chosenAt.value !== undefined ? chosenAt.value : world.value.at));

  /** `#3` (or `Peer 8` on a circular DHT) as the moment shown numbers it; else its port. */
  function peerLabel(id: string): string {
    const peer = world.value.peers.get(id);
    if (peer === undefined) return id === 'manager' || id === 'cluster' ? id : id.replace(/^.*:/, ':');
    return peer.identity === undefined ? `#${peer.number}` : `Peer ${peer.identity}`;
  }

  /**
   * Bench only (`?bench` in the address): shows a synthetic session of `peers` peers over
   * `minutes`, with `messages` messages (each a send and a delivery) and membership churn, as an
   * imported journal. Refused on a normal page. Returns the entries it holds.
   */
  function benchFill(minutes: number, peers: number, messages: number): number {
    if (!new URLSearchParams(location.search).has('bench')) throw new Error('benchFill is for the benchmark (?bench) only');
    const line = new Timeline();
    line.append(syntheticSession(minutes, peers, messages));
    showImported(line, 'bench session');
    return line.size;
  }

  return {
    version,
    source,
    importedName,
    cursor,
    playing,
    speed,
    history,
    complete,
    isPast,
    world,
    size,
    position,
    momentAt,
    timeline,
    start,
    append,
    beginImport,
    showImported,
    goLive,
    seek,
    seekTime,
    step,
    stepTick,
    play,
    pause,
    freeze,
    togglePlay,
    peerLabel,
    benchFill,
  };
});

/** A plausible session for the benchmark: a cluster start, messages on every link, suspicions and a kill. */
function syntheticSession(minutes: number, peers: number, messages: number): SessionEntry[] {
  const ids = Array.from({ length: peers }, (_, index) => `127.0.0.1:${7101 + index}`);
  const types = ['swim.ping', 'swim.ack', 'swim.gossip', 'kv.request', 'kv.reply'];
  const startAt = Date.now() - minutes * 60_000;
  const spanMs = minutes * 60_000;
  const entries: SessionEntry[] = [];
  const push = (at: number, event: SessionEntry['event']): void => {
    entries.push({ seq: entries.length, at, event });
  };
  push(startAt, { kind: 'cluster.started', tick: 0, peer: 'manager', epoch: 1, cluster: 'kv', peers, tickMs: 100, protocol: 'swim', quorum: 'strict' });
  ids.forEach((id, index) => push(startAt + index, { kind: 'process.started', tick: 0, peer: id, pid: 1000 + index, port: 7101 + index, redisPort: 6101 + index, number: index + 1 }));
  for (const observer of ids) for (const subject of ids) push(startAt + peers, { kind: 'member.added', tick: 1, peer: observer, subject });
  const gapMs = spanMs / messages;
  for (let index = 0; index < messages; index++) {
    const at = startAt + peers + 1 + index * gapMs;
    const from = ids[index % peers] as string;
    const to = ids[(index * 7 + 3) % peers] as string;
    const type = types[index % types.length] as string;
    const tick = Math.floor((at - startAt) / 100);
    push(at, { kind: 'message.sent', tick, peer: from, to, type, bytes: 100 + (index % 200) });
    push(at + 2, { kind: 'message.delivered', tick, peer: to, from, type });
    // Now and then a suspicion, refuted.
    if (index % 5000 === 0) {
      push(at + 3, { kind: 'member.suspected', tick, peer: from, subject: to, incarnation: 0 });
      push(at + 500, { kind: 'member.alive', tick: tick + 5, peer: from, subject: to, incarnation: 1 });
    }
  }
  return entries.sort((a, b) => a.at - b.at).map((entry, seq) => ({ ...entry, seq }));
}
