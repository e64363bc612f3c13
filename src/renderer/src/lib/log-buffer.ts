/**
 * The log view's storage: up to `capacity` journal entries in plain arrays, and the index of the
 * entries that pass the current filter. Nothing here is reactive: a million proxied objects
 * would cost the page more than it has. The store bumps one version counter per frame instead.
 *
 * Entries have absolute positions (0 for the first appended; older entries prepended later, the
 * history loaded after the stream began, get negative ones). Past the capacity the oldest are
 * dropped; positions never change, so the filtered index stays valid and only loses its front. The index is built by a cursor (`scan`) that walks the entries not yet tested: a few
 * hundred new ones per frame while the stream runs, or a whole million in time-boxed slices
 * after the filter changes, so no frame ever refilters everything.
 */
import type { JournalEventKind } from '../../../shared/journal/events.ts';
import { describeEvent, eventPeer, type PeerNamer, type SessionEntry } from '../../../shared/journal/session.ts';

/** Kinds of journal events, grouped the way the filter offers them. */
export const KIND_GROUPS = ['membership', 'messages', 'kv', 'store', 'process', 'faults', 'console', 'log'] as const;
export type KindGroup = (typeof KIND_GROUPS)[number];

export function kindGroup(kind: JournalEventKind): KindGroup {
  if (kind.startsWith('member.') || kind === 'ring.changed') return 'membership';
  if (kind.startsWith('message.')) return 'messages';
  if (kind.startsWith('kv.')) return 'kv';
  if (kind.startsWith('store.')) return 'store';
  if (kind.startsWith('process.') || kind.startsWith('peer.') || kind === 'cluster.started') return 'process';
  if (kind === 'fault.changed') return 'faults';
  if (kind === 'console') return 'console';
  return 'log';
}

export interface LogFilter {
  /** Only lines observed at this peer (or `cluster` for the cluster's own events). */
  readonly peer: string | undefined;
  readonly groups: ReadonlySet<KindGroup>;
  /**
   * Case-insensitive; matched against the peer, the kind and the line's text, each both as the
   * journal has it (addresses) and as the window shows it (`#3`, `Peer 8`).
   */
  readonly text: string;
}

export const NO_FILTER: LogFilter = { peer: undefined, groups: new Set(KIND_GROUPS), text: '' };

export type EntryTest = (entry: SessionEntry) => boolean;

/**
 * The filter as a test, or undefined when every entry passes (the index is then the identity).
 * `name`: how the window names peers, so a text typed from a line as shown (`#3`) finds it.
 */
export function compileFilter(filter: LogFilter, name?: PeerNamer): EntryTest | undefined {
  const { peer } = filter;
  const allGroups = KIND_GROUPS.every((group) => filter.groups.has(group));
  const needle = filter.text.trim().toLowerCase();
  if (peer === undefined && allGroups && needle === '') return undefined;
  const groups = new Set(filter.groups);
  return (entry) => {
    const event = entry.event;
    if (peer !== undefined && eventPeer(event) !== peer) return false;
    if (!allGroups && !groups.has(kindGroup(event.kind))) return false;
    if (needle === '') return true;
    const peerId = eventPeer(event);
    if (`${peerId} ${event.kind} ${describeEvent(event)}`.toLowerCase().includes(needle)) return true;
    return name !== undefined && `${name(peerId)} ${event.kind} ${describeEvent(event, name)}`.toLowerCase().includes(needle);
  };
}

/** Drop from the front of an array in place only now and then: a shift per entry is O(n). */
const COMPACT_MIN = 4096;

export class LogBuffer {
  readonly capacity: number;
  #entries: SessionEntry[] = [];
  /** The position of `#entries[0]`. */
  #base = 0;
  /** The position of the oldest entry kept (entries before it were dropped). */
  #first = 0;
  /** The position after the newest entry. */
  #end = 0;
  #test: EntryTest | undefined;
  /** Positions of matching entries among [#first, #scanned), oldest first, from `#matchStart`. */
  #matches: number[] = [];
  #matchStart = 0;
  #scanned = 0;
  /** Matches that left the front of the index because their entries were dropped. */
  #matchesDropped = 0;
  /** Matches that joined the front of the index with prepended entries. */
  #matchesPrepended = 0;
  #dropped = 0;
  #prepended = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a log buffer holds at least one entry, not ${capacity}`);
    this.capacity = capacity;
  }

  /** Entries kept. */
  get size(): number {
    return this.#end - this.#first;
  }

  /** Entries dropped, oldest first, to stay within the capacity. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Entries ever appended (prepended ones not counted). */
  get appended(): number {
    return this.#end;
  }

  get filtered(): boolean {
    return this.#test !== undefined;
  }

  /** Lines the view shows: the matches found so far (every entry when nothing is filtered). */
  get matchCount(): number {
    return this.#test === undefined ? this.size : this.#matches.length - this.#matchStart;
  }

  /** Matches dropped from the front so far: a paused view scrolls up by this many rows. */
  get matchesDropped(): number {
    return this.#test === undefined ? this.#dropped : this.#matchesDropped;
  }

  /** Matches added at the front so far: a paused view scrolls down by this many rows. */
  get matchesPrepended(): number {
    return this.#test === undefined ? this.#prepended : this.#matchesPrepended;
  }

  /** True when every kept entry has been tested against the filter. */
  get scanComplete(): boolean {
    return this.#scanned >= this.#end;
  }

  /** The share of kept entries already tested, 0 to 1. */
  get scanProgress(): number {
    return this.size === 0 ? 1 : (Math.max(this.#scanned, this.#first) - this.#first) / this.size;
  }

  /** The `index`-th line the view shows (0: the oldest). */
  matchAt(index: number): SessionEntry | undefined {
    if (index < 0 || index >= this.matchCount) return undefined;
    const position = this.#test === undefined ? this.#first + index : (this.#matches[this.#matchStart + index] as number);
    return this.#entries[position - this.#base];
  }

  /**
   * Lines the view shows up to the entry `seq` included: a past moment's log. Lines are in
   * journal order, so a binary search over the matches.
   */
  matchesThrough(seq: number): number {
    let low = 0;
    let high = this.matchCount;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.matchAt(middle) as SessionEntry).seq <= seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** The kept entry at `index` (0: the oldest), filter or not. */
  entryAt(index: number): SessionEntry | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.#entries[this.#first + index - this.#base];
  }

  /** Every kept entry, oldest first (a copy). */
  entries(): SessionEntry[] {
    return this.#entries.slice(this.#first - this.#base);
  }

  /**
   * Appends entries, dropping the oldest beyond the capacity. New entries are tested by the
   * next `scan`, not here, so a burst costs one pass however it arrives.
   */
  append(entries: readonly SessionEntry[]): void {
    if (entries.length === 0) return;
    const kept = entries.length > this.capacity ? entries.slice(entries.length - this.capacity) : entries;
    const skipped = entries.length - kept.length;
    if (skipped > 0) {
      // More than the whole capacity at once: what was kept goes, and so do the skipped ones.
      this.#dropped += this.size + skipped;
      this.#entries = [];
      this.#base = this.#end + skipped;
      this.#first = this.#base;
      this.#end = this.#base;
      this.#dropMatchesBefore(this.#first);
      this.#scanned = Math.max(this.#scanned, this.#first);
    }
    for (const entry of kept) this.#entries.push(entry);
    this.#end += kept.length;
    const overflow = this.size - this.capacity;
    if (overflow > 0) {
      this.#first += overflow;
      this.#dropped += overflow;
      this.#dropMatchesBefore(this.#first);
      this.#scanned = Math.max(this.#scanned, this.#first);
      const dead = this.#first - this.#base;
      if (dead >= COMPACT_MIN && dead >= this.capacity / 4) {
        this.#entries = this.#entries.slice(dead);
        this.#base = this.#first;
      }
    }
    if (this.#test === undefined) this.#scanned = this.#end;
  }

  /**
   * Puts entries older than every kept one before them (the history, which arrives after the
   * stream began), as many as the capacity leaves room for: the newest of them. They are
   * tested at once (a page of history at a time, so it stays short).
   */
  prepend(entries: readonly SessionEntry[]): void {
    const room = this.capacity - this.size;
    if (room <= 0 || entries.length === 0) return;
    const kept = entries.length > room ? entries.slice(entries.length - room) : entries;
    const first = this.#first - kept.length;
    this.#entries = kept.concat(this.#entries.slice(this.#first - this.#base));
    this.#base = first;
    this.#first = first;
    this.#prepended += kept.length;
    const test = this.#test;
    if (test === undefined) return;
    const matches: number[] = [];
    for (let index = 0; index < kept.length; index++) if (test(kept[index] as SessionEntry)) matches.push(first + index);
    this.#matches = matches.concat(this.#matches.slice(this.#matchStart));
    this.#matchStart = 0;
    this.#matchesPrepended += matches.length;
  }

  /** Starts a new index for `test` (undefined: everything); `scan` builds it. */
  setFilter(test: EntryTest | undefined): void {
    this.#test = test;
    this.#matches = [];
    this.#matchStart = 0;
    this.#matchesDropped = 0;
    this.#matchesPrepended = 0;
    this.#scanned = test === undefined ? this.#end : this.#first;
  }

  /**
   * Tests entries not yet tested, oldest first, for at most about `budgetMs` (checked every
   * 1,024 entries); returns true when none is left.
   */
  scan(budgetMs = Infinity, now: () => number = () => performance.now()): boolean {
    const test = this.#test;
    if (test === undefined) {
      this.#scanned = this.#end;
      return true;
    }
    const started = now();
    let position = Math.max(this.#scanned, this.#first);
    while (position < this.#end) {
      const stop = Math.min(this.#end, position + 1024);
      for (; position < stop; position++) {
        if (test(this.#entries[position - this.#base] as SessionEntry)) this.#matches.push(position);
      }
      if (now() - started >= budgetMs) break;
    }
    this.#scanned = position;
    return position >= this.#end;
  }

  #dropMatchesBefore(position: number): void {
    const before = this.#matchStart;
    while (this.#matchStart < this.#matches.length && (this.#matches[this.#matchStart] as number) < position) this.#matchStart++;
    this.#matchesDropped += this.#matchStart - before;
    if (this.#matchStart >= COMPACT_MIN && this.#matchStart >= this.#matches.length / 2) {
      this.#matches = this.#matches.slice(this.#matchStart);
      this.#matchStart = 0;
    }
  }
}
