/**
 * How long a membership change takes to reach every peer, from the journal's member events.
 *
 * A change starts when some peer first reports a new state for a subject (another peer: a
 * peer's events about itself do not count) and is complete when every live observer but the
 * subject holds that state; its spread time is from the first report to the last observer's.
 * A change is superseded when a different state starts before it completes (a suspicion that
 * turns into a failure), and cleared when the only observers that held it drop it again (a
 * suspicion refuted before anyone else heard it; once others hold it, the refutation is a
 * change of its own that must reach them).
 *
 * The caller feeds entries in order (`observe`), fills in what the events have not said yet
 * from a read of the views (`seed`), and calls `settle` with the live observers after each batch.
 */
import type { SessionEntry } from '../../../shared/journal/session.ts';
import type { MemberViewWire } from '../../../shared/protocol/control.ts';

export type BeliefState = MemberViewWire['state'];

export type SpreadStatus = 'spreading' | 'complete' | 'superseded' | 'cleared';

/** One change as the window shows it. */
export interface SpreadChange {
  readonly id: number;
  readonly subject: string;
  readonly state: BeliefState;
  /** The observer that reported it first, and when (ms since the epoch). */
  readonly firstObserver: string;
  readonly firstAt: number;
  readonly status: SpreadStatus;
  /** When the last live observer came to hold it (complete), or it was dropped (superseded, cleared). */
  readonly endedAt: number | undefined;
  /** `endedAt − firstAt` for a complete change. */
  readonly spreadMs: number | undefined;
  /** Live observers (the subject aside) that held the state at the last settle, of how many. */
  readonly reached: number;
  readonly required: number;
}

const STATE_OF_KIND: Readonly<Record<string, BeliefState>> = {
  'member.added': 'alive',
  'member.alive': 'alive',
  'member.suspected': 'suspect',
  'member.removed': 'dead',
  'member.left': 'left',
};

/** Changes kept for the window to list (the newest). */
export const SPREAD_CHANGES_MAX = 64;

interface Belief {
  readonly state: BeliefState;
  /** When the observer came to hold it; 0 when only a read of its view says so. */
  readonly at: number;
}

interface Change {
  readonly id: number;
  readonly subject: string;
  readonly state: BeliefState;
  /** The subject's state before this change, to tell a cleared suspicion from news. */
  readonly previous: BeliefState | undefined;
  readonly firstObserver: string;
  readonly firstAt: number;
  status: SpreadStatus;
  endedAt: number | undefined;
  reached: number;
  required: number;
}

export class SpreadTracker {
  readonly #beliefs = new Map<string, Map<string, Belief>>();
  /** The newest change of each subject (any status). */
  readonly #latest = new Map<string, Change>();
  /** Each subject's state as the newest change left it (the earlier one when a change was cleared). */
  readonly #current = new Map<string, BeliefState>();
  #changes: Change[] = [];
  #nextId = 1;
  /** The live observers as of the last `settle`. */
  #observers: readonly string[] = [];
  /** Grows whenever something the window shows changed. */
  version = 0;

  /** Applies one journal entry (anything but a member event or a process exit is ignored). */
  observe(entry: SessionEntry): void {
    const event = entry.event;
    if (event.kind === 'process.exited') {
      // The observer's beliefs ended with its process; a restart learns everything anew.
      this.#beliefs.delete(event.peer);
      return;
    }
    const state = STATE_OF_KIND[event.kind];
    if (state === undefined || !('subject' in event)) return;
    const observer = event.peer;
    const subject = event.subject;
    if (observer === subject) return;
    const latest = this.#latest.get(subject);
    let starts = false;
    if (latest?.status === 'spreading') {
      if (latest.state !== state && latest.previous === state && !this.#heldByOthers(latest, observer)) {
        // Back to what the group held before, and nobody else holds the news: a suspicion
        // dropped before it spread. (Held elsewhere, the refutation is news that must spread.)
        this.#end(latest, 'cleared', entry.at);
        this.#current.set(subject, state);
      } else if (latest.state !== state) {
        this.#end(latest, 'superseded', entry.at);
        starts = true;
      }
    } else {
      starts = this.#current.get(subject) !== state;
    }
    // After ending the old change, which counts how far it got without this report.
    this.#believe(observer, subject, { state, at: entry.at });
    if (!starts) return;
    const change: Change = {
      id: this.#nextId++,
      subject,
      state,
      previous: this.#current.get(subject),
      firstObserver: observer,
      firstAt: entry.at,
      status: 'spreading',
      endedAt: undefined,
      reached: 1,
      required: 1,
    };
    this.#latest.set(subject, change);
    this.#current.set(subject, state);
    this.#changes.push(change);
    if (this.#changes.length > SPREAD_CHANGES_MAX) this.#changes = this.#changes.slice(-SPREAD_CHANGES_MAX);
    this.version++;
  }

  /** Fills in beliefs the events have not told (a window opened after the peers started). */
  seed(views: Readonly<Record<string, readonly MemberViewWire[]>>): void {
    for (const [observer, members] of Object.entries(views)) {
      for (const member of members) {
        if (member.id === observer) continue;
        if (this.#beliefs.get(observer)?.has(member.id) !== true) this.#believe(observer, member.id, { state: member.state, at: 0 });
      }
    }
  }

  /** Completes the changes every live observer now holds; `observers` are the running peers. */
  settle(observers: readonly string[]): void {
    this.#observers = observers;
    for (const change of this.#latest.values()) {
      if (change.status !== 'spreading') continue;
      const lastAt = this.#count(change);
      if (change.required > 0 && change.reached === change.required) this.#end(change, 'complete', lastAt);
    }
  }

  /** Whether a live observer other than `observer` holds the change's state. */
  #heldByOthers(change: Change, observer: string): boolean {
    return this.#observers.some((other) => other !== observer && other !== change.subject && this.#beliefs.get(other)?.get(change.subject)?.state === change.state);
  }

  /** Counts the live observers that hold the change; returns when the last of them came to. */
  #count(change: Change): number {
    let reached = 0;
    let required = 0;
    let lastAt = change.firstAt;
    for (const observer of this.#observers) {
      if (observer === change.subject) continue;
      required++;
      const belief = this.#beliefs.get(observer)?.get(change.subject);
      if (belief?.state !== change.state) continue;
      reached++;
      if (belief.at > lastAt) lastAt = belief.at;
    }
    if (reached !== change.reached || required !== change.required) {
      change.reached = reached;
      change.required = required;
      this.version++;
    }
    return lastAt;
  }

  /** The kept changes, oldest first, as plain objects. */
  changes(): SpreadChange[] {
    return this.#changes.map((change) => ({
      id: change.id,
      subject: change.subject,
      state: change.state,
      firstObserver: change.firstObserver,
      firstAt: change.firstAt,
      status: change.status,
      endedAt: change.endedAt,
      spreadMs: change.status === 'complete' && change.endedAt !== undefined ? change.endedAt - change.firstAt : undefined,
      reached: change.reached,
      required: change.required,
    }));
  }

  #believe(observer: string, subject: string, belief: Belief): void {
    let beliefs = this.#beliefs.get(observer);
    if (beliefs === undefined) {
      beliefs = new Map();
      this.#beliefs.set(observer, beliefs);
    }
    beliefs.set(subject, belief);
  }

  #end(change: Change, status: SpreadStatus, at: number): void {
    // How far it got: counted before the observer that ends it changes its belief.
    if (status !== 'complete') this.#count(change);
    change.status = status;
    change.endedAt = at;
    this.version++;
  }
}

/** The newest complete change (by when it completed), if any. */
export function lastCompleteChange(changes: readonly SpreadChange[]): SpreadChange | undefined {
  let last: SpreadChange | undefined;
  for (const change of changes) {
    if (change.status === 'complete' && (last === undefined || (change.endedAt ?? 0) >= (last.endedAt ?? 0))) last = change;
  }
  return last;
}

/** `340 ms`, `1.84 s`, `12.3 s`, `2 min 5 s`. */
export function formatSpreadMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
