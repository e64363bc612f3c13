/**
 * The replica diff: every key any store holds, against the rings. A key is healthy when exactly N
 * peers hold it (fewer when the ring has fewer peers), they are its preference list, and they hold
 * one version. Tombstones count as copies: a delete is a record that must reach every replica too.
 *
 * Two rings judge a key, as the peers themselves do:
 * - the *shown* ring (the majority's, or the peer the user picked): the key's N, its owners, and
 *   which of them hold nothing;
 * - each peer's *own* ring (the state it reported when its store was read): whether that peer
 *   believes it owns the key. A copy is misplaced only if its holder's own ring does not give it
 *   the key: a partition's minority that has not heard a ring change keeps the keys its ring
 *   gives it, and is right to. A peer whose ring state was not reported is `unknown`: its copies
 *   are not judged, and no other peer's ring stands in for its own.
 * Where a peer's own ring and the shown ring disagree on whether it owns a key, the key is listed
 * (`rings`), so the keys a ring disagreement touches can be found.
 *
 * The stores are read one by one, not as one snapshot: a write in flight can look like a missing
 * copy for a moment. Stabilization, read repair and anti-entropy heal the rest.
 */
import type { StoredRecord } from '../../../shared/protocol/control.ts';
import type { Version } from '../../../shared/protocol/kv.ts';
import type { Ring } from '../../../shared/ring/ring.ts';
import { newestVersion, versionId } from './versions.ts';

export type DiffProblem = 'under' | 'over' | 'versions' | 'misplaced' | 'rings';

export const PROBLEM_LABELS: Record<DiffProblem, string> = {
  under: 'fewer than N copies',
  over: 'more than N copies',
  versions: 'versions disagree',
  misplaced: 'held where its holder’s own ring does not place it',
  rings: 'rings disagree on its owners',
};

/** Whether a peer owns a key by its own ring: unknown when it reported no ring state. */
export type OwnRingVerdict = 'owner' | 'not-owner' | 'unknown';

export interface Holding {
  readonly peer: string;
  readonly version: Version;
  readonly deleted: boolean;
  /** This copy is older than the newest one. */
  readonly stale: boolean;
  /** The peer is one of the key's N owners on the shown ring. */
  readonly owner: boolean;
  /** Whether the peer owns the key by its own ring. */
  readonly ownRing: OwnRingVerdict;
}

/** A peer expected to hold the key that holds nothing. */
export interface MissingCopy {
  readonly peer: string;
  /** An owner on the shown ring. */
  readonly owner: boolean;
  /** Whether the peer owns the key by its own ring (unknown for a peer whose store was not read). */
  readonly ownRing: OwnRingVerdict;
}

export interface DiffRow {
  readonly key: string;
  readonly holders: readonly Holding[];
  /** The preference list on the shown ring. */
  readonly owners: readonly string[];
  /** Owners on the shown ring, and peers that own the key by their own ring, that hold no copy. */
  readonly missing: readonly MissingCopy[];
  readonly copies: number;
  readonly expected: number;
  readonly problems: readonly DiffProblem[];
}

export interface ReplicaDiff {
  /** Keys held anywhere. */
  readonly keys: number;
  /** Keys with at least one problem, sorted by key. */
  readonly rows: readonly DiffRow[];
  readonly counts: Readonly<Record<DiffProblem, number>>;
  /** Copies each N: min(N, peers on the shown ring). */
  readonly expected: number;
  /** Stores whose own ring was not reported: their copies are not judged. */
  readonly unjudged: readonly string[];
}

/**
 * `stores`: each inspected peer's records. `ring`: the shown ring. `ownRings`: each inspected
 * peer's own ring, undefined (or absent) for one that reported none; without `ownRings`, every
 * peer is taken to hold `ring` (the caller says so: a cluster that agrees on one ring).
 */
export function replicaDiff(stores: ReadonlyMap<string, readonly StoredRecord[]>, ring: Ring, ownRings?: ReadonlyMap<string, Ring | undefined>): ReplicaDiff {
  const expected = Math.min(ring.config.replicas, ring.peers.length);
  const ownRingOf = (peer: string): Ring | undefined => (ownRings === undefined ? ring : ownRings.get(peer));
  const byKey = new Map<string, { peer: string; record: StoredRecord }[]>();
  for (const [peer, records] of stores) {
    for (const record of records) {
      let holders = byKey.get(record.key);
      if (holders === undefined) byKey.set(record.key, (holders = []));
      holders.push({ peer, record });
    }
  }
  // Each distinct ring once per key: the peers rarely hold more than two or three rings.
  const distinctRings = new Set<Ring>([ring]);
  for (const peer of stores.keys()) {
    const own = ownRingOf(peer);
    if (own !== undefined) distinctRings.add(own);
  }
  const unjudged = [...stores.keys()].filter((peer) => ownRingOf(peer) === undefined).sort();
  const counts: Record<DiffProblem, number> = { under: 0, over: 0, versions: 0, misplaced: 0, rings: 0 };
  const rows: DiffRow[] = [];
  const lists = new Map<Ring, readonly string[]>();
  for (const [key, found] of byKey) {
    lists.clear();
    for (const each of distinctRings) lists.set(each, each.preferenceList(key));
    const owners = lists.get(ring) as readonly string[];
    const verdict = (peer: string): OwnRingVerdict => {
      const own = ownRingOf(peer);
      if (own === undefined || !stores.has(peer)) return 'unknown';
      return (lists.get(own) as readonly string[]).includes(peer) ? 'owner' : 'not-owner';
    };
    const newest = newestVersion(found.map(({ record }) => record.version));
    const newestId = newest === undefined ? '' : versionId(newest);
    const versions = new Set(found.map(({ record }) => versionId(record.version)));
    const holders = found
      .map(({ peer, record }) => ({ peer, version: record.version, deleted: record.deleted === true, stale: versionId(record.version) !== newestId, owner: owners.includes(peer), ownRing: verdict(peer) }))
      .sort((a, b) => rank(owners, a.peer) - rank(owners, b.peer) || (a.peer < b.peer ? -1 : 1));
    const held = new Set(holders.map((holder) => holder.peer));
    const missing: MissingCopy[] = owners.filter((owner) => !held.has(owner)).map((owner) => ({ peer: owner, owner: true, ownRing: verdict(owner) }));
    let ringsDisagree = holders.some((holder) => holder.ownRing !== 'unknown' && (holder.ownRing === 'owner') !== holder.owner);
    for (const peer of stores.keys()) {
      if (held.has(peer) || owners.includes(peer)) continue;
      // A peer whose own ring gives it the key, though the shown ring does not, and holds nothing.
      if (verdict(peer) === 'owner') {
        missing.push({ peer, owner: false, ownRing: 'owner' });
        ringsDisagree = true;
      }
    }
    if (missing.some((copy) => copy.ownRing === 'not-owner')) ringsDisagree = true;
    const problems: DiffProblem[] = [];
    if (holders.length < expected) problems.push('under');
    if (holders.length > expected) problems.push('over');
    if (versions.size > 1) problems.push('versions');
    if (holders.length <= expected && holders.some((holder) => holder.ownRing === 'not-owner')) problems.push('misplaced');
    if (ringsDisagree) problems.push('rings');
    if (problems.length === 0) continue;
    for (const problem of problems) counts[problem]++;
    rows.push({ key, holders, owners, missing, copies: holders.length, expected, problems });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { keys: byKey.size, rows, counts, expected, unjudged };
}

function rank(owners: readonly string[], peer: string): number {
  const index = owners.indexOf(peer);
  return index < 0 ? owners.length : index;
}
