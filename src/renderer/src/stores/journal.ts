/**
 * The journal as the log view shows it: the live session (the server's memory window loaded at
 * start, then the event stream) or a saved journal the user imported (read a slice at a time),
 * each up to `JOURNAL_ENTRIES_MAX` entries in a `LogBuffer`, with one filter for both. Entries
 * carry values' sizes and previews, never whole values (an old journal's are cut on import).
 *
 * The buffers are plain objects; `version` is bumped at most once per frame when what they hold
 * changed, and views read the buffers through it. Filtering a million entries is spread over
 * frames (`SCAN_BUDGET_MS` each) rather than done in one.
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import { describeEvent, eventPeer, formatNdjsonLine, isoTime, type ExportFormat, type SessionEntry } from '../../../shared/journal/session.ts';
import { JournalDecoder } from '../../../shared/journal/journal-stream.ts';
import { withoutValue, type JournalEvent } from '../../../shared/journal/events.ts';
import type { ExportOutcome } from '../../../shared/api/bridge.ts';
import { compileFilter, KIND_GROUPS, LogBuffer, type KindGroup, type LogFilter } from '../lib/log-buffer.ts';
import { downloadText } from '../lib/download.ts';
import { formatCount } from '../lib/format.ts';
import { clusterClient } from './client.ts';
import { useClusterStore } from './cluster.ts';
import { useMetricsStore } from './metrics.ts';
import { useNotificationsStore } from './notifications.ts';
import { useStreamStore } from './stream.ts';
import { useTimelineStore } from './timeline.ts';

/** Entries the window keeps per journal; older ones are dropped (and the view says so). */
export const JOURNAL_ENTRIES_MAX = 1_000_000;
/** History entries asked for at once: small enough that reading one answer never stalls a frame. */
const HISTORY_PAGE = 25_000;
/** Bytes of an imported file read at once: the file is never held whole. */
const IMPORT_SLICE_BYTES = 1_048_576;
/** Time a frame may spend building the filtered index, ms. */
const SCAN_BUDGET_MS = 6;

export type HistoryState = 'idle' | 'loading' | 'loaded' | 'failed';

export interface ImportedJournal {
  readonly name: string;
  readonly entries: number;
  /** Lines that were not journal entries. */
  readonly badLines: number;
  /** The first few bad lines and why. */
  readonly refused: readonly { line: number; reason: string }[];
  /** Entries left out because the file held more than the window keeps. */
  readonly truncated: number;
}

export type ExportResult = { readonly format: ExportFormat; readonly outcome: ExportOutcome };

/** What an export of the lines shown writes: the entries themselves, or the lines in words. */
export type LinesFormat = 'ndjson' | 'text';
/** Lines put together into one piece of the file at a time, so no string grows to the whole file. */
const LINES_PER_PART = 10_000;

/** A time window on the lines, ms since the epoch, both ends included; an end left out is open. */
export interface TimeRange {
  readonly fromAt?: number | undefined;
  readonly toAt?: number | undefined;
}

export interface LinesExport {
  readonly format: LinesFormat;
  readonly fileName: string;
  readonly lines: number;
}

export const useJournalStore = defineStore('journal', () => {
  const notifications = useNotificationsStore();
  const cluster = useClusterStore();
  const timeline = useTimelineStore();
  const live = new LogBuffer(JOURNAL_ENTRIES_MAX);
  let imported: LogBuffer | undefined;
  /** Peer numbers of an imported journal, in order of first appearance. */
  const importedNumbers = shallowRef<ReadonlyMap<string, number>>(new Map());
  /** Circular DHT peers' identities in an imported journal (its process.started entries). */
  const importedIdentities = shallowRef<ReadonlyMap<string, number>>(new Map());

  /** Bumped (at most once per frame) whenever a buffer's lines change. */
  const version = ref(0);
  const showing = ref<'live' | 'imported'>('live');
  const importInfo = shallowRef<ImportedJournal | undefined>(undefined);
  const importing = ref(false);
  /** How much of the file an import has read, 0 to 1. */
  const importProgress = ref(0);
  const history = ref<HistoryState>('idle');
  /** History entries loaded so far. */
  const historyLoaded = ref(0);
  const exporting = ref<ExportFormat | undefined>(undefined);
  const lastExport = shallowRef<ExportResult | undefined>(undefined);
  /** The last export of the lines shown (the newer of the two exports is the one described). */
  const lastLinesExport = shallowRef<LinesExport | undefined>(undefined);
  const filter = shallowRef<LogFilter>({ peer: undefined, groups: new Set(KIND_GROUPS), text: '' });

  let started = false;
  let scanFrame = false;
  /** The newest seq the history brought, until the stream has gone past it. */
  let historyNewest: number | undefined;

  const buffer = (): LogBuffer => (showing.value === 'imported' && imported !== undefined ? imported : live);

  function bump(): void {
    version.value++;
  }

  /** Builds the shown buffer's index for one frame's budget; asks for another frame if unfinished. */
  function scanShown(): void {
    const done = buffer().scan(SCAN_BUDGET_MS);
    if (!done && !scanFrame) {
      scanFrame = true;
      const next = typeof requestAnimationFrame === 'function' ? requestAnimationFrame : (callback: () => void) => setTimeout(callback, 16);
      next(() => {
        scanFrame = false;
        scanShown();
        bump();
      });
    }
  }

  function onFrame(batch: readonly SessionEntry[]): void {
    let entries = batch;
    // A batch under way while the newest history arrived may repeat some of it.
    if (historyNewest !== undefined && entries.length > 0) {
      const newest = historyNewest;
      entries = entries.filter((entry) => entry.seq > newest);
      if (entries.length > 0) historyNewest = undefined;
    }
    if (entries.length === 0) return;
    live.append(entries);
    if (showing.value === 'live') {
      scanShown();
      bump();
    }
  }

  /** Starts recording the stream (once) and loads what the server still holds. */
  function start(): void {
    if (started) return;
    started = true;
    useStreamStore().consume((batch) => onFrame(batch.entries));
    void loadHistory();
  }

  /**
   * Loads what the server still holds from before the stream began, newest page first, each
   * put before the lines already shown: the newest history appears at once, and no response
   * is large enough to stall a frame.
   */
  async function loadHistory(): Promise<void> {
    history.value = 'loading';
    try {
      const client = clusterClient();
      // Ask for entries before the newest the server has; keep those before the oldest shown.
      let before = (await client.session()).journal.entries;
      for (let loaded = 0; before > 0 && live.size < JOURNAL_ENTRIES_MAX; ) {
        const since = Math.max(-1, before - HISTORY_PAGE - 1);
        const answer = await client.journalEntries(since, HISTORY_PAGE);
        const shownFrom = live.entryAt(0)?.seq ?? Infinity;
        const page = answer.filter((entry) => entry.seq < shownFrom);
        const oldest = answer[0];
        if (oldest === undefined) break;
        if (loaded === 0 && page.length > 0) historyNewest = (page[page.length - 1] as SessionEntry).seq;
        live.prepend(page);
        useMetricsStore().backfill(page);
        loaded += page.length;
        historyLoaded.value = loaded;
        scanShown();
        bump();
        // The server's memory window begins here: nothing older to ask for.
        if (oldest.seq > since + 1) break;
        before = oldest.seq;
      }
      history.value = 'loaded';
    } catch {
      // Not fatal: the log shows the stream's lines (the history state says why there are no older ones).
      history.value = 'failed';
    }
  }

  // At once (not before the next render): what the store answers right after a filter change,
  // the lines an export takes among them, is already filtered by it.
  watch(
    filter,
    (next) => {
      const test = compileFilter(next, peerLabel);
      live.setFilter(test);
      imported?.setFilter(test);
      scanShown();
      bump();
    },
    { flush: 'sync' },
  );

  function setPeer(peer: string | undefined): void {
    filter.value = { ...filter.value, peer };
  }
  function setText(text: string): void {
    filter.value = { ...filter.value, text };
  }
  function toggleGroup(group: KindGroup): void {
    const groups = new Set(filter.value.groups);
    if (groups.has(group)) groups.delete(group);
    else groups.add(group);
    filter.value = { ...filter.value, groups };
  }
  /** Only `group`'s lines; asked again for the group that is already alone, every group. */
  function onlyGroup(group: KindGroup): void {
    const groups = filter.value.groups;
    const alone = groups.size === 1 && groups.has(group);
    filter.value = { ...filter.value, groups: alone ? new Set(KIND_GROUPS) : new Set([group]) };
  }
  function clearFilter(): void {
    filter.value = { peer: undefined, groups: new Set(KIND_GROUPS), text: '' };
  }

  /**
   * The newest entry the log shows: the timeline's moment while it shows the past (the lines
   * after it are the future of that moment), else every entry.
   */
  const throughSeq = computed(() => (timeline.isPast ? (timeline.world.seq ?? -1) : undefined));

  /** What the shown journal holds now; read it in a computed to follow `version`. */
  const stats = computed(() => {
    void version.value;
    const shown = buffer();
    const through = throughSeq.value;
    return {
      size: shown.size,
      dropped: shown.dropped,
      matches: through === undefined ? shown.matchCount : shown.matchesThrough(through),
      /** Lines after the moment shown, hidden while the timeline shows the past. */
      later: through === undefined ? 0 : shown.matchCount - shown.matchesThrough(through),
      /** Lines dropped from the front minus lines added there: how far a paused view's lines moved up. */
      frontShift: shown.matchesDropped - shown.matchesPrepended,
      filtered: shown.filtered,
      scanComplete: shown.scanComplete,
      scanProgress: shown.scanProgress,
    };
  });

  /** The `index`-th line shown (0: the oldest). Not reactive: read it under `version`. */
  function lineAt(index: number): SessionEntry | undefined {
    return buffer().matchAt(index);
  }

  /**
   * The peers of the shown journal, by number (the session's, or those an import has lines for),
   * each `label`led as the lines' peer column names it (`#3`, `Peer 8`).
   */
  const peerOptions = computed(() => {
    const peers = showing.value === 'imported' ? [...importedNumbers.value].map(([id, number]) => ({ id, number })) : cluster.peers.map((peer) => ({ id: peer.id, number: peer.number }));
    return peers.map((peer) => ({ ...peer, label: peerLabel(peer.id) }));
  });

  const liveIdentities = computed(() => new Map(cluster.peers.flatMap((peer) => (peer.identity === undefined ? [] : [[peer.id, peer.identity] as const]))));
  const liveNumbers = computed(() => new Map(cluster.peers.map((peer) => [peer.id, peer.number])));

  /** A peer's number in the shown journal (the session's, or an import's order of appearance). */
  function peerNumber(id: string): number | undefined {
    return showing.value === 'imported' ? importedNumbers.value.get(id) : liveNumbers.value.get(id);
  }

  /** `#3` for peer 3; `cluster` for the cluster's own events; the port of a peer without a number. */
  function peerLabel(id: string): string {
    if (id === 'cluster') return 'cluster';
    // A circular DHT peer by its identity, as its console lines name it.
    const identity = (showing.value === 'live' ? liveIdentities.value : importedIdentities.value).get(id);
    if (identity !== undefined) return `Peer ${identity}`;
    const number = peerNumber(id);
    return number === undefined ? id.replace(/^.*:/, ':') : `#${number}`;
  }

  /**
   * Reads a saved NDJSON journal and shows it, read-only, instead of the live one. The file is
   * read a slice at a time (`IMPORT_SLICE_BYTES`), never whole: what stays is the newest
   * `JOURNAL_ENTRIES_MAX` entries, each without a whole value (an old journal's become previews).
   */
  async function importFile(file: Blob & { readonly name?: string }): Promise<ImportedJournal | undefined> {
    importing.value = true;
    importProgress.value = 0;
    try {
      const buffer = new LogBuffer(JOURNAL_ENTRIES_MAX);
      buffer.setFilter(compileFilter(filter.value, peerLabel));
      // The same entries make the imported journal's timeline: every view can play it back.
      const line = timeline.beginImport();
      const decoder = new JournalDecoder();
      const numbers = new Map<string, number>();
      const identities = new Map<string, number>();
      const keep = (entries: SessionEntry[]): void => {
        for (let index = 0; index < entries.length; index++) {
          const entry = entries[index] as SessionEntry;
          const event = withoutValue(entry.event);
          if (event !== entry.event) entries[index] = { ...entry, event };
          // A peer's number as its cluster gave it (journals since epochs), else by first appearance.
          if (event.kind === 'process.started' && event.identity !== undefined) identities.set(event.peer, event.identity);
          if (event.kind === 'process.started' && event.number !== undefined) numbers.set(event.peer, event.number);
          else if ('peer' in event && !numbers.has(event.peer) && event.peer !== 'manager') numbers.set(event.peer, numbers.size + 1);
        }
        buffer.append(entries);
        line.append(entries);
      };
      for (let offset = 0; offset < file.size; offset += IMPORT_SLICE_BYTES) {
        keep(decoder.push(new Uint8Array(await file.slice(offset, offset + IMPORT_SLICE_BYTES).arrayBuffer())));
        importProgress.value = Math.min(1, (offset + IMPORT_SLICE_BYTES) / file.size);
      }
      keep(decoder.end());
      imported = buffer;
      importedNumbers.value = numbers;
      importedIdentities.value = identities;
      const info: ImportedJournal = {
        name: file.name ?? 'journal',
        entries: buffer.size,
        badLines: decoder.refusedCount,
        refused: decoder.refused,
        truncated: buffer.dropped,
      };
      // A file without a single entry is refused: the window stays on what it showed.
      if (decoder.entries === 0) {
        notifications.push('error', `${info.name} holds no journal entries${info.badLines > 0 ? ` (${info.badLines} bad lines)` : ''}: is it an NDJSON export? Nothing was imported.`);
        return info;
      }
      importInfo.value = info;
      showing.value = 'imported';
      timeline.showImported(line, info.name);
      scanShown();
      bump();
      return info;
    } catch (error) {
      notifications.push('error', `Reading ${file.name ?? 'the file'}: ${(error as Error).message}`);
      return undefined;
    } finally {
      importing.value = false;
    }
  }

  // Live again on the timeline (its Live button, the L key): the imported journal is let go here too.
  watch(
    () => timeline.source,
    (source) => {
      if (source === 'live' && showing.value === 'imported') showLive();
    },
  );

  /** Back to the live session; the imported journal is let go. */
  function showLive(): void {
    if (timeline.source === 'imported') timeline.goLive();
    showing.value = 'live';
    imported = undefined;
    importedNumbers.value = new Map();
    importedIdentities.value = new Map();
    importInfo.value = undefined;
    scanShown();
    bump();
  }

  /** Exports the whole session (from the server: every entry, not only the window's). */
  async function exportJournal(format: ExportFormat): Promise<ExportOutcome | undefined> {
    exporting.value = format;
    try {
      const outcome = await notifications.attempt(`Exporting ${format}`, () => clusterClient().exportJournal(format));
      if (outcome === undefined) return undefined;
      lastExport.value = { format, outcome };
      lastLinesExport.value = undefined;
      notifications.push('info', describeExport(outcome));
      return outcome;
    } finally {
      exporting.value = undefined;
    }
  }

  /**
   * The lines the log shows, oldest first: those the filters pass, up to the timeline's moment
   * while it shows the past, and within `range` when given. At most the buffer's
   * `JOURNAL_ENTRIES_MAX`. An index still being built is finished first.
   */
  function shownLines(range: TimeRange = {}): SessionEntry[] {
    const shown = buffer();
    if (!shown.scanComplete) {
      shown.scan();
      bump();
    }
    const through = throughSeq.value;
    const count = through === undefined ? shown.matchCount : shown.matchesThrough(through);
    const { fromAt, toAt } = range;
    const lines: SessionEntry[] = [];
    for (let index = 0; index < count; index++) {
      const entry = shown.matchAt(index) as SessionEntry;
      if ((fromAt !== undefined && entry.at < fromAt) || (toAt !== undefined && entry.at > toAt)) continue;
      lines.push(entry);
    }
    return lines;
  }

  /** A line shown, in words, as the log shows it: the time (UTC), the peer, the kind, the text. */
  function lineText(entry: SessionEntry): string {
    const event = entry.event;
    return `${isoTime(entry.at)}  ${peerLabel(eventPeer(event))}  ${event.kind}  ${describeEvent(event, peerLabel).replace(/\n/g, ' ')}\n`;
  }

  /**
   * Saves the lines shown (`shownLines`), made here from the window's buffer rather than by the
   * server: NDJSON (the entries, to import again) or the lines in words. Unlike `exportJournal`,
   * it holds only what this window keeps, filtered.
   */
  function exportShown(format: LinesFormat, range: TimeRange = {}): LinesExport {
    const lines = shownLines(range);
    const write = format === 'ndjson' ? formatNdjsonLine : lineText;
    const parts: string[] = [];
    for (let start = 0; start < lines.length; start += LINES_PER_PART) {
      let part = '';
      for (const entry of lines.slice(start, start + LINES_PER_PART)) part += write(entry);
      parts.push(part);
    }
    const fileName = format === 'ndjson' ? 'ringside-lines.ndjson' : 'ringside-lines.txt';
    downloadText(fileName, parts, format === 'ndjson' ? 'application/x-ndjson' : 'text/plain');
    const done: LinesExport = { format, fileName, lines: lines.length };
    lastLinesExport.value = done;
    lastExport.value = undefined;
    notifications.push('info', describeLinesExport(done));
    return done;
  }

  /**
   * Bench only (`?bench` in the address): replaces the live lines with `count` synthetic ones,
   * to measure scrolling a full log. Refused on a normal page.
   */
  function benchFill(count: number): number {
    if (!new URLSearchParams(location.search).has('bench')) throw new Error('benchFill is for the benchmark (?bench) only');
    const entries = syntheticEntries(count, cluster.peers.map((peer) => peer.id));
    showLive();
    live.append(entries);
    scanShown();
    bump();
    return live.size;
  }

  return {
    version,
    showing,
    importInfo,
    importing,
    importProgress,
    history,
    historyLoaded,
    exporting,
    lastExport,
    lastLinesExport,
    filter,
    stats,
    peerOptions,
    start,
    setPeer,
    setText,
    toggleGroup,
    onlyGroup,
    clearFilter,
    lineAt,
    peerLabel,
    peerNumber,
    importFile,
    showLive,
    exportJournal,
    shownLines,
    exportShown,
    benchFill,
  };
});

/** Where an export of the whole session went, in words. */
export function describeExport(outcome: ExportOutcome): string {
  if ('saved' in outcome) return `Saved the whole session to ${outcome.saved}`;
  if ('downloaded' in outcome) return `Downloaded ${outcome.downloaded}, the whole session (to the browser's downloads folder)`;
  return 'Export cancelled';
}

/** An export of the lines shown, in words. */
export function describeLinesExport(done: LinesExport): string {
  return `Downloaded ${done.fileName}: the ${formatCount(done.lines)} line${done.lines === 1 ? '' : 's'} shown, ${done.format === 'ndjson' ? 'as NDJSON' : 'in words'} (not the whole session)`;
}

/** A varied, plausible journal for the benchmark: member changes, messages, operations. */
function syntheticEntries(count: number, peers: readonly string[]): SessionEntry[] {
  const ids = peers.length > 0 ? peers : Array.from({ length: 30 }, (_, index) => `127.0.0.1:${7101 + index}`);
  const types = ['swim.ping', 'swim.ack', 'kv.request', 'kv.reply'];
  const start = Date.now() - count;
  const entries: SessionEntry[] = new Array<SessionEntry>(count);
  for (let index = 0; index < count; index++) {
    const peer = ids[index % ids.length] as string;
    const other = ids[(index * 7 + 3) % ids.length] as string;
    const tick = Math.floor(index / 10);
    let event: JournalEvent;
    switch (index % 8) {
      case 0:
        event = { kind: 'message.sent', tick, peer, to: other, type: types[index % 4] as string, bytes: 120 + (index % 50) };
        break;
      case 1:
        event = { kind: 'message.delivered', tick, peer, from: other, type: types[(index + 1) % 4] as string };
        break;
      case 2:
        event = { kind: 'kv.replica', tick, peer, transaction: index, op: 'put', key: `key${index % 10_000}`, size: String(index).length + 5, preview: `value${index}`, ok: true };
        break;
      case 3:
        event = { kind: 'kv.result', tick, peer, transaction: index, op: 'read', key: `key${index % 10_000}`, ok: true, latencyTicks: 1, latencyMs: 2.5, replicas: [{ peer: other, ok: true }] };
        break;
      case 4:
        event = { kind: 'member.suspected', tick, peer, subject: other, incarnation: index % 5 };
        break;
      case 5:
        event = { kind: 'member.alive', tick, peer, subject: other, incarnation: index % 5 };
        break;
      case 6:
        event = { kind: 'store.changed', tick, peer, key: `key${index % 10_000}`, reason: 'repair', deleted: false };
        break;
      default:
        event = { kind: 'log', tick, peer, text: `synthetic line ${index}` };
    }
    entries[index] = { seq: index, at: start + index, event };
  }
  return entries;
}
