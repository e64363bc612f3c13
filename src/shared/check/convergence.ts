/**
 * The convergence check (`not-converged`), on data from the system rather than the history: after
 * every fault healed and anti-entropy had its time, each key should be held by exactly its owners,
 * all at the same version. The caller reads every peer's store and passes, per key, its owners
 * (from the ring) and who holds a copy (a tombstone counts as a copy: it is how a delete
 * replicates). Versions are opaque strings from the system, compared for equality only.
 *
 * Three anomalies, each naming the peers: an owner missing the key; a copy on a peer that does
 * not own it; owners holding different versions (or different contents under one version).
 */
import type { Anomaly } from './anomaly.ts';
import { listed, valueText } from './wording.ts';

export interface KeyHolder {
  readonly peer: string;
  readonly value?: string | undefined;
  readonly deleted: boolean;
  readonly version: string;
}

export interface KeyPlacement {
  readonly key: string;
  readonly owners: readonly string[];
  readonly holders: readonly KeyHolder[];
}

/** Keys one check reads at most: a `ringside check` store holds some thousands. */
export const CONVERGENCE_KEYS_MAX = 1_000_000;
/** Peers named in one sentence; the rest are counted. */
const PEERS_NAMED_MAX = 6;

export function checkConvergence(placements: readonly KeyPlacement[]): Anomaly[] {
  if (placements.length > CONVERGENCE_KEYS_MAX) throw new Error(`checkConvergence reads at most ${CONVERGENCE_KEYS_MAX} keys, not ${placements.length}`);
  const anomalies: Anomaly[] = [];
  for (const { key, owners, holders } of [...placements].sort((first, second) => (first.key < second.key ? -1 : first.key > second.key ? 1 : 0))) {
    const ownerSet = new Set(owners);
    const holderByPeer = new Map<string, KeyHolder>();
    for (const holder of holders) holderByPeer.set(holder.peer, holder);
    const ownersList = listed([...ownerSet].sort(), PEERS_NAMED_MAX);

    for (const owner of [...ownerSet].sort()) {
      if (holderByPeer.has(owner)) continue;
      anomalies.push({ kind: 'not-converged', key, operations: [], peers: [owner], sentence: `Peer ${owner} owns ${key} but holds no copy of it (owners: ${ownersList}).` });
    }
    for (const holder of [...holderByPeer.values()].sort((first, second) => (first.peer < second.peer ? -1 : 1))) {
      if (ownerSet.has(holder.peer)) continue;
      anomalies.push({
        kind: 'not-converged',
        key,
        operations: [],
        peers: [holder.peer],
        sentence: `Peer ${holder.peer} holds a copy of ${key} (${contents(holder)}) but is not one of its owners (${ownersList}).`,
      });
    }

    // Owners holding a copy, grouped by what they hold.
    const groups = new Map<string, { readonly holder: KeyHolder; readonly peers: string[] }>();
    for (const owner of [...ownerSet].sort()) {
      const holder = holderByPeer.get(owner);
      if (holder === undefined) continue;
      const identity = JSON.stringify([holder.version, holder.deleted, holder.deleted ? null : (holder.value ?? null)]);
      const group = groups.get(identity);
      if (group === undefined) groups.set(identity, { holder, peers: [owner] });
      else group.peers.push(owner);
    }
    if (groups.size > 1) {
      const parts = [...groups.values()].map(({ holder, peers }) => `${listed(peers, PEERS_NAMED_MAX)} ${peers.length === 1 ? 'holds' : 'hold'} ${contents(holder)}`);
      anomalies.push({
        kind: 'not-converged',
        key,
        operations: [],
        peers: [...groups.values()].flatMap(({ peers }) => peers),
        sentence: `The owners of ${key} disagree: ${parts.join('; ')}.`,
      });
    }
  }
  return anomalies;
}

function contents(holder: KeyHolder): string {
  return `version ${holder.version}, ${holder.deleted ? 'deleted' : valueText(holder.value)}`;
}
