/**
 * The timeline: the world as the journal says it was at any moment. Every view of the window
 * is a function of (journal, position): `worldAt(position)` is what the first `position`
 * entries make of the cluster, and "live" is the position after the newest entry.
 *
 * The caller appends entries in journal order (`append`); the timeline keeps them, applies
 * each once to the live world, and keeps a copy of the world every `SNAPSHOT_EVERY` entries, so
 * any position is reached by copying the snapshot before it and applying at most
 * `SNAPSHOT_EVERY` entries. It also keeps what a time strip draws: epochs, marks (starts, kills,
 * crashes, pauses, fault changes) and a running maximum of entry times for finding a moment.
 *
 * Epochs: each `cluster.started` begins one; peer numbers are those `process.started` carries.
 * Journals written before epochs existed have neither: a `process.started` while no peer of the
 * current epoch runs begins one, and peers are numbered in order of first appearance.
 *
 * Bounds: at most `entriesMax` entries are kept; past that the oldest `SNAPSHOT_EVERY` go at
 * once (with their snapshot), and the earliest reachable position moves up (`firstPosition`).
 */
import type { SessionEntry } from './session.ts';
import type { JournalEvent } from './events.ts';
import type { RingEntry } from '../protocol/kv.ts';

/** Entries between two snapshots: the most a seek applies. */
export const SNAPSHOT_EVERY = 2000;
/** Entries a timeline keeps unless told otherwise (the window's journal bound). */
export const TIMELINE_ENTRIES_MAX = 1_000_000;
/** Marks a timeline keeps for the strip (the newest). */
const MARKS_MAX = 20_000;

/** A peer process's state as the journal tells it. */
export type ProcessState = 'running' | 'paused' | 'leaving' | 'left' | 'killed' | 'crashed';
/** What an observer believes of a member: the words of the SWIM paper. */
export type BeliefState = 'alive' | 'suspect' | 'dead' | 'left';

export interface TimelinePeer {
  readonly id: string;
  /** #1, #2, … within its epoch. */
  readonly number: number;
  /** A circular DHT peer's identity. */
  readonly identity: number | undefined;
  readonly state: ProcessState;
  /** When its current (or last) process started, ms since the epoch; undefined if never seen starting. */
  readonly startedAt: number | undefined;
  /** Processes it has had in this epoch (a restart adds one). */
  readonly lives: number;
  /** Its current (or last) process and Redis port, when a manager started it. */
  readonly pid: number | undefined;
  readonly redisPort: number | undefined;
}

export interface Belief {
  readonly state: BeliefState;
  /** The observer's tick when it came to hold it. */
  readonly sinceTick: number;
  /** When, ms since the epoch. */
  readonly at: number;
  readonly incarnation: number | undefined;
  readonly heartbeat: number | undefined;
}

export interface Epoch {
  /** 1, 2, …; 0 for entries before any cluster started. */
  readonly number: number;
  /** The position of its first entry (the `cluster.started`, or the first start inferred). */
  readonly position: number;
  readonly at: number;
  readonly cluster: 'kv' | 'dht' | undefined;
  readonly tickMs: number | undefined;
  /** A key-value cluster's membership protocol, quorum mode and storage, when its start said. */
  readonly protocol?: 'gossip' | 'swim' | undefined;
  readonly quorum?: 'strict' | 'sloppy' | undefined;
  readonly storage?: 'memory' | 'disk' | undefined;
  /** Peers its start asked for. */
  readonly peersAsked?: number | undefined;
  /** Its epoch was inferred from an older journal (no `cluster.started`). */
  readonly inferred: boolean;
}

export type MarkKind = 'cluster' | 'start' | 'restart' | 'stop' | 'kill' | 'crash' | 'pause' | 'resume' | 'faults';

/** A moment the strip marks. */
export interface Mark {
  readonly position: number;
  readonly at: number;
  readonly kind: MarkKind;
  readonly peer: string | undefined;
  readonly text: string;
}

/** A period with faults injected: from a fault change to the next one that clears them. */
export interface FaultPeriod {
  readonly fromAt: number;
  /** Undefined while the faults are still in force. */
  readonly toAt: number | undefined;
  readonly description: string;
}

/** A peer's ring state as its last `ring.changed` said (explicit ownership). */
export interface RingAt {
  readonly entries: readonly RingEntry[];
  readonly transition: { readonly joining: readonly string[]; readonly leaving: readonly string[]; readonly gainers: readonly string[] } | undefined;
  readonly fingerprint: string;
}

/** Counts of the current epoch up to the moment. */
export interface EpochCounts {
  readonly messagesSent: number;
  readonly messagesDelivered: number;
  readonly messagesDropped: number;
  readonly messagesRejected: number;
  readonly resultsOk: number;
  readonly resultsFailed: number;
}

/** The world at one position. Plain data: the caller may keep it. */
export interface World {
  /** Entries applied: the world is after the `position`-th entry (0: before any). */
  readonly position: number;
  /** The newest applied entry's seq and time. */
  readonly seq: number | undefined;
  readonly at: number | undefined;
  readonly tick: number | undefined;
  readonly epoch: Epoch;
  /** The current epoch's peers, by id. */
  readonly peers: ReadonlyMap<string, TimelinePeer>;
  /** What each observer of the current epoch believes: observer → subject → belief. */
  readonly beliefs: ReadonlyMap<string, ReadonlyMap<string, Belief>>;
  /** Each running peer's ring state, when its journal said it (explicit ownership). */
  readonly rings: ReadonlyMap<string, RingAt>;
  /** The faults in force (`no faults` when none were ever set). */
  readonly faults: string;
  readonly counts: EpochCounts;
}

const NO_EPOCH: Epoch = { number: 0, position: 0, at: 0, cluster: undefined, tickMs: undefined, inferred: true };
const ZERO_COUNTS: EpochCounts = { messagesSent: 0, messagesDelivered: 0, messagesDropped: 0, messagesRejected: 0, resultsOk: 0, resultsFailed: 0 };
const NO_FAULTS = 'no faults';

const BELIEF_OF_KIND: Readonly<Partial<Record<JournalEvent['kind'], BeliefState>>> = {
  'member.added': 'alive',
  'member.alive': 'alive',
  'member.suspected': 'suspect',
  'member.removed': 'dead',
  'member.left': 'left',
};

/**
 * A peer's echo of a fault change (each real peer journals the plan it applied as `HOST:PORT:
 * plan`): the cluster-wide change is the manager's (or the simulator's), without the prefix.
 */
export function isFaultEcho(description: string): boolean {
  return /^\S+:\d+: /.test(description);
}

/** A fault change that clears every fault: the manager's `no faults`, the classroom's `loss 0`. */
export function clearsFaults(description: string): boolean {
  return description === NO_FAULTS || /^loss 0(\.0*)?$/.test(description);
}

/** Ids that are not peers: the manager's and the cluster's own events. */
function isPeerId(id: string): boolean {
  return id !== 'manager' && id !== 'cluster';
}

/** The mutable world a timeline applies entries to; `freeze` copies it out. */
class WorldState {
  position = 0;
  seq: number | undefined;
  at: number | undefined;
  tick: number | undefined;
  epoch: Epoch = NO_EPOCH;
  peers = new Map<string, TimelinePeer>();
  beliefs = new Map<string, Map<string, Belief>>();
  rings = new Map<string, RingAt>();
  faults = NO_FAULTS;
  counts: { -readonly [K in keyof EpochCounts]: number } = { ...ZERO_COUNTS };

  copy(): WorldState {
    const copy = new WorldState();
    copy.position = this.position;
    copy.seq = this.seq;
    copy.at = this.at;
    copy.tick = this.tick;
    copy.epoch = this.epoch;
    copy.peers = new Map(this.peers);
    copy.beliefs = new Map([...this.beliefs].map(([observer, subjects]) => [observer, new Map(subjects)]));
    copy.rings = new Map(this.rings);
    copy.faults = this.faults;
    copy.counts = { ...this.counts };
    return copy;
  }

  freeze(): World {
    const copy = this.copy();
    return { position: copy.position, seq: copy.seq, at: copy.at, tick: copy.tick, epoch: copy.epoch, peers: copy.peers, beliefs: copy.beliefs, rings: copy.rings, faults: copy.faults, counts: copy.counts };
  }

  /** Begins an epoch: the earlier cluster's peers and beliefs are its own, not this one's. */
  beginEpoch(epoch: Epoch): void {
    this.epoch = epoch;
    this.peers = new Map();
    this.beliefs = new Map();
    this.rings = new Map();
    this.counts = { ...ZERO_COUNTS };
  }

  /** A peer seen for the first time in this epoch (numbered next unless the journal says). */
  peer(id: string, at: number): TimelinePeer {
    const known = this.peers.get(id);
    if (known !== undefined) return known;
    const peer: TimelinePeer = {
      id,
      number: this.peers.size === 0 ? 1 : Math.max(...[...this.peers.values()].map((other) => other.number)) + 1,
      identity: undefined,
      state: 'running',
      startedAt: at,
      lives: 1,
      pid: undefined,
      redisPort: undefined,
    };
    this.peers.set(id, peer);
    return peer;
  }

  setPeer(peer: TimelinePeer): void {
    this.peers.set(peer.id, peer);
  }

  running(): boolean {
    for (const peer of this.peers.values()) if (peer.state === 'running' || peer.state === 'paused' || peer.state === 'leaving') return true;
    return false;
  }

  /** Applies one entry; returns the mark it makes on the strip, if any. */
  apply(entry: SessionEntry): Omit<Mark, 'position'> | undefined {
    const event = entry.event;
    this.position++;
    this.seq = entry.seq;
    this.at = entry.at;
    this.tick = event.tick;
    switch (event.kind) {
      case 'cluster.started':
        this.beginEpoch({
          number: event.epoch,
          position: this.position - 1,
          at: entry.at,
          cluster: event.cluster,
          tickMs: event.tickMs,
          protocol: event.protocol,
          quorum: event.quorum,
          storage: event.storage,
          peersAsked: event.peers,
          inferred: false,
        });
        return { at: entry.at, kind: 'cluster', peer: undefined, text: `cluster ${event.epoch}: ${event.peers} ${event.cluster === 'dht' ? 'circular DHT' : 'key-value'} peer${event.peers === 1 ? '' : 's'}` };
      case 'process.started': {
        const known = this.peers.get(event.peer);
        if (known === undefined && !this.running() && (this.epoch.inferred || this.epoch.number === 0)) {
          // An older journal: a start with nothing running begins the next cluster.
          this.beginEpoch({ number: this.epoch.number + 1, position: this.position - 1, at: entry.at, cluster: event.redisPort > 0 ? 'kv' : undefined, tickMs: undefined, inferred: true });
        }
        const base = this.peer(event.peer, entry.at);
        const restart = known !== undefined;
        this.setPeer({
          ...base,
          number: event.number ?? base.number,
          identity: event.identity ?? base.identity,
          state: 'running',
          startedAt: entry.at,
          lives: restart ? base.lives + 1 : 1,
          pid: event.pid,
          redisPort: event.redisPort > 0 ? event.redisPort : undefined,
        });
        // A new process learns the group anew: what its earlier life believed is gone.
        this.beliefs.delete(event.peer);
        return { at: entry.at, kind: restart ? 'restart' : 'start', peer: event.peer, text: restart ? 'restarted' : 'started' };
      }
      case 'process.exited': {
        const state: ProcessState = !event.expected ? 'crashed' : event.signal === 'SIGKILL' ? 'killed' : 'left';
        const before = this.peers.get(event.peer)?.state;
        this.setPeer({ ...this.peer(event.peer, entry.at), state });
        this.beliefs.delete(event.peer);
        this.rings.delete(event.peer);
        // The peer said it left (`peer.left`, marked then): its process ending is the same story.
        if (before === 'left' && state === 'left') return undefined;
        return { at: entry.at, kind: state === 'crashed' ? 'crash' : state === 'killed' ? 'kill' : 'stop', peer: event.peer, text: state === 'crashed' ? 'crashed' : state === 'killed' ? 'killed' : 'stopped' };
      }
      case 'process.leaving':
        this.setPeer({ ...this.peer(event.peer, entry.at), state: 'leaving' });
        return undefined;
      case 'process.paused':
      case 'process.resumed': {
        const paused = event.kind === 'process.paused';
        this.setPeer({ ...this.peer(event.peer, entry.at), state: paused ? 'paused' : 'running' });
        return { at: entry.at, kind: paused ? 'pause' : 'resume', peer: event.peer, text: paused ? 'paused' : 'resumed' };
      }
      // A peer's own word on its life (the simulator's only one; after `process.started` for real peers).
      case 'peer.started':
      case 'peer.restarted': {
        if (!isPeerId(event.peer)) return undefined;
        const known = this.peers.get(event.peer);
        if (known !== undefined && (known.state === 'running' || known.state === 'paused' || known.state === 'leaving')) return undefined;
        const base = this.peer(event.peer, entry.at);
        this.setPeer({ ...base, state: 'running', startedAt: entry.at, lives: known === undefined ? 1 : base.lives + 1 });
        this.beliefs.delete(event.peer);
        return { at: entry.at, kind: known === undefined ? 'start' : 'restart', peer: event.peer, text: known === undefined ? 'started' : 'restarted' };
      }
      case 'peer.crashed':
      case 'peer.left': {
        if (!isPeerId(event.peer)) return undefined;
        const crashed = event.kind === 'peer.crashed';
        this.setPeer({ ...this.peer(event.peer, entry.at), state: crashed ? 'crashed' : 'left' });
        this.beliefs.delete(event.peer);
        this.rings.delete(event.peer);
        return { at: entry.at, kind: crashed ? 'crash' : 'stop', peer: event.peer, text: crashed ? 'crashed' : 'left' };
      }
      case 'ring.changed':
        if (event.entries !== undefined && event.fingerprint !== undefined) {
          this.rings.set(event.peer, { entries: event.entries, transition: event.transition, fingerprint: event.fingerprint });
        }
        break;
      case 'fault.changed':
        // Each peer's echo of the plan it applied is not a change of the cluster's faults.
        if (isFaultEcho(event.description)) return undefined;
        this.faults = clearsFaults(event.description) ? NO_FAULTS : event.description;
        return { at: entry.at, kind: 'faults', peer: undefined, text: this.faults };
      case 'message.sent':
        this.counts.messagesSent++;
        break;
      case 'message.delivered':
        this.counts.messagesDelivered++;
        break;
      case 'message.dropped':
        this.counts.messagesDropped++;
        break;
      case 'message.rejected':
        this.counts.messagesRejected++;
        break;
      case 'kv.result':
        if (event.ok) this.counts.resultsOk++;
        else this.counts.resultsFailed++;
        break;
      default: {
        const belief = BELIEF_OF_KIND[event.kind];
        if (belief !== undefined && 'subject' in event) {
          // A simulated journal has no process events: its peers appear with their first event.
          if (isPeerId(event.peer)) this.peer(event.peer, entry.at);
          let subjects = this.beliefs.get(event.peer);
          if (subjects === undefined) this.beliefs.set(event.peer, (subjects = new Map()));
          subjects.set(event.subject, { state: belief, sinceTick: event.tick, at: entry.at, incarnation: event.incarnation, heartbeat: event.heartbeat });
        }
      }
    }
    return undefined;
  }
}

export class Timeline {
  readonly entriesMax: number;
  /** Kept entries; `entries[0]` is at position `#dropped` + 1. */
  #entries: SessionEntry[] = [];
  /** Running maximum of entry times (clocks may step back a little between peers). */
  #times: number[] = [];
  #dropped = 0;
  readonly #live = new WorldState();
  /** Snapshots at positions that are multiples of `SNAPSHOT_EVERY`, oldest first. */
  #snapshots: WorldState[] = [];
  #epochs: Epoch[] = [];
  #marks: Mark[] = [];
  #faultPeriods: FaultPeriod[] = [];
  /** Grows whenever an entry is appended. */
  version = 0;

  constructor(entriesMax = TIMELINE_ENTRIES_MAX) {
    if (!(entriesMax >= SNAPSHOT_EVERY)) throw new RangeError(`a timeline keeps at least ${SNAPSHOT_EVERY} entries`);
    this.entriesMax = entriesMax;
    this.#snapshots.push(this.#live.copy());
  }

  /** The position after the newest entry: "live". */
  get size(): number {
    return this.#dropped + this.#entries.length;
  }

  /** The earliest position a seek reaches (0 unless old entries were let go). */
  get firstPosition(): number {
    return (this.#snapshots[0] as WorldState).position;
  }

  get epochs(): readonly Epoch[] {
    return this.#epochs;
  }

  get marks(): readonly Mark[] {
    return this.#marks;
  }

  get faultPeriods(): readonly FaultPeriod[] {
    return this.#faultPeriods;
  }

  /** The live world (after every entry). */
  live(): World {
    return this.#live.freeze();
  }

  /** The entry at `position` (1: the first), if still kept. */
  entryAt(position: number): SessionEntry | undefined {
    return this.#entries[position - 1 - this.#dropped];
  }

  /** The time of the entry at `position`, or of the nearest kept one. */
  timeAt(position: number): number | undefined {
    if (this.#times.length === 0) return undefined;
    const index = Math.min(this.#times.length - 1, Math.max(0, position - 1 - this.#dropped));
    return this.#times[index];
  }

  /** The first and last entry times (undefined when empty). */
  get span(): { readonly fromAt: number; readonly toAt: number } | undefined {
    if (this.#times.length === 0) return undefined;
    return { fromAt: this.#times[0] as number, toAt: this.#times[this.#times.length - 1] as number };
  }

  append(entries: readonly SessionEntry[]): void {
    for (const entry of entries) {
      this.#entries.push(entry);
      const previous = this.#times[this.#times.length - 1];
      this.#times.push(previous === undefined || entry.at > previous ? entry.at : previous);
      const epochBefore = this.#live.epoch;
      const mark = this.#live.apply(entry);
      if (this.#live.epoch !== epochBefore) this.#epochs.push(this.#live.epoch);
      if (mark !== undefined) this.#mark({ ...mark, position: this.#live.position });
      if (this.#live.position % SNAPSHOT_EVERY === 0) this.#snapshots.push(this.#live.copy());
    }
    if (this.#entries.length > this.entriesMax) this.#trim();
    if (entries.length > 0) this.version++;
  }

  /** The world after the `position`-th entry, clamped to what is kept. */
  worldAt(position: number): World {
    const target = Math.max(this.firstPosition, Math.min(this.size, Math.floor(position)));
    if (target === this.size) return this.live();
    const snapshot = this.#snapshotBefore(target);
    const world = snapshot.copy();
    for (let next = world.position + 1; next <= target; next++) world.apply(this.entryAt(next) as SessionEntry);
    return world.freeze();
  }

  /** The position a moment falls at: after the last entry at or before `at` (ms since the epoch). */
  positionAtTime(at: number): number {
    let low = 0;
    let high = this.#times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#times[middle] as number) <= at) low = middle + 1;
      else high = middle;
    }
    return Math.max(this.firstPosition, this.#dropped + low);
  }

  /**
   * Entries per bin over [fromAt, toAt): `bins` counts, each a window of (toAt − fromAt) / bins ms.
   * Found by binary search at each bin's edge, so a strip costs `bins` searches, not a pass.
   */
  density(fromAt: number, toAt: number, bins: number): number[] {
    const counts: number[] = [];
    const width = (toAt - fromAt) / bins;
    let before = this.#countBefore(fromAt);
    for (let bin = 0; bin < bins; bin++) {
      const end = this.#countBefore(fromAt + (bin + 1) * width);
      counts.push(end - before);
      before = end;
    }
    return counts;
  }

  /** Kept entries whose (running maximum) time is below `at`. */
  #countBefore(at: number): number {
    let low = 0;
    let high = this.#times.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#times[middle] as number) < at) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #snapshotBefore(position: number): WorldState {
    let low = 0;
    let high = this.#snapshots.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if ((this.#snapshots[middle] as WorldState).position <= position) low = middle;
      else high = middle - 1;
    }
    return this.#snapshots[low] as WorldState;
  }

  #mark(mark: Mark): void {
    if (mark.kind === 'faults') {
      const open = this.#faultPeriods[this.#faultPeriods.length - 1];
      if (open !== undefined && open.toAt === undefined) this.#faultPeriods[this.#faultPeriods.length - 1] = { ...open, toAt: mark.at };
      if (mark.text !== NO_FAULTS) this.#faultPeriods.push({ fromAt: mark.at, toAt: undefined, description: mark.text });
    }
    this.#marks.push(mark);
    if (this.#marks.length > MARKS_MAX) this.#marks.splice(0, this.#marks.length - MARKS_MAX);
  }

  /** Lets go of the oldest entries, a snapshot's worth at a time, keeping a snapshot at the new start. */
  #trim(): void {
    while (this.#entries.length > this.entriesMax && this.#snapshots.length > 1) {
      const next = this.#snapshots[1] as WorldState;
      const drop = next.position - this.#dropped;
      this.#entries.splice(0, drop);
      this.#times.splice(0, drop);
      this.#dropped += drop;
      this.#snapshots.shift();
    }
  }
}

/**
 * An observer's beliefs as the member list a peer reports (`MemberViewWire`), sorted by id: what
 * the membership views show, read from the journal instead of polled.
 */
export function memberLists(world: World): Record<string, { id: string; state: BeliefState; sinceTick: number; incarnation?: number; heartbeat?: number }[]> {
  const lists: Record<string, { id: string; state: BeliefState; sinceTick: number; incarnation?: number; heartbeat?: number }[]> = {};
  for (const [observer, subjects] of world.beliefs) {
    const peer = world.peers.get(observer);
    if (peer !== undefined && peer.state !== 'running' && peer.state !== 'paused' && peer.state !== 'leaving') continue;
    lists[observer] = [...subjects]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, belief]) => ({
        id,
        state: belief.state,
        sinceTick: belief.sinceTick,
        ...(belief.incarnation === undefined ? {} : { incarnation: belief.incarnation }),
        ...(belief.heartbeat === undefined ? {} : { heartbeat: belief.heartbeat }),
      }));
  }
  return lists;
}
