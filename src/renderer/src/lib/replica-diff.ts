/**
 * The replica diff: every key any store holds, against what the ring says. A key is healthy when
 * exactly N peers hold it (fewer when the ring has fewer peers), they are its preference list,
 * and they hold one version. Tombstones count as copies: a delete is a record that must reach
 * every replica too.
 *
 * The stores are read one by one, not as one snapshot: a write in flight can look like a missing
 * copy for a moment. Stabilization, read repair and anti-entropy heal the rest.
 */
import type { StoredRecord } from '../../../shared/protocol/control.ts';
import type { Version } from '../../../shared/protocol/kv.ts';
import type { Ring } from '../../../shared/ring/ring.ts';
import { newestVersion, versionId } from './versions.ts';

export type DiffProblem = 'under' | 'over' | 'versions' | 'misplaced';

export const PROBLEM_LABELS: Record<DiffProblem, string> = {
  under: 'fewer than N copies',
  over: 'more than N copies',
  versions: 'versions disagree',
  misplaced: 'held outside its preference list',
};

export interface Holding {
  readonly peer: string;
  readonly version: Version;
  readonly deleted: boolean;
  /** This copy is older than the newest one. */
  readonly stale: boolean;
  /** The peer is one of the key's N owners on the window's ring. */
  readonly owner: boolean;
}

export interface DiffRow {
  readonly key: string;
  readonly holders: readonly Holding[];
  /** The preference list on the window's ring. */
  readonly owners: readonly string[];
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
  /** Copies each N: min(N, peers on the ring). */
  readonly expected: number;
}

/** `stores`: each inspected peer's records. */
export function replicaDiff(stores: ReadonlyMap<string, readonly StoredRecord[]>, ring: Ring): ReplicaDiff {
  const expected = Math.min(ring.config.replicas, ring.peers.length);
  const byKey = new Map<string, { peer: string; record: StoredRecord }[]>();
  for (const [peer, records] of stores) {
    for (const record of records) {
      let holders = byKey.get(record.key);
      if (holders === undefined) byKey.set(record.key, (holders = []));
      holders.push({ peer, record });
    }
  }
  const counts: Record<DiffProblem, number> = { under: 0, over: 0, versions: 0, misplaced: 0 };
  const rows: DiffRow[] = [];
  for (const [key, found] of byKey) {
    const owners = ring.preferenceList(key);
    const newest = newestVersion(found.map(({ record }) => record.version));
    const newestId = newest === undefined ? '' : versionId(newest);
    const versions = new Set(found.map(({ record }) => versionId(record.version)));
    const holders = found
      .map(({ peer, record }) => ({ peer, version: record.version, deleted: record.deleted === true, stale: versionId(record.version) !== newestId, owner: owners.includes(peer) }))
      .sort((a, b) => rank(owners, a.peer) - rank(owners, b.peer) || (a.peer < b.peer ? -1 : 1));
    const problems: DiffProblem[] = [];
    if (holders.length < expected) problems.push('under');
    if (holders.length > expected) problems.push('over');
    if (versions.size > 1) problems.push('versions');
    if (holders.length <= expected && holders.some((holder) => !holder.owner)) problems.push('misplaced');
    if (problems.length === 0) continue;
    for (const problem of problems) counts[problem]++;
    rows.push({ key, holders, owners, copies: holders.length, expected, problems });
  }
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { keys: byKey.size, rows, counts, expected };
}

function rank(owners: readonly string[], peer: string): number {
  const index = owners.indexOf(peer);
  return index < 0 ? owners.length : index;
}
