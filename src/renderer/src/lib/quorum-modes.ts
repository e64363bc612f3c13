/**
 * The two quorum modes of a key-value cluster, in the words the window uses wherever one is
 * chosen or shown (the Cluster view, the Check view, the status bar, a read's result). What each
 * promises is `src/shared/kv/config.ts`'s and `src/shared/check/run.ts`'s (`modeGuarantees`).
 */
import { KV_DEFAULTS } from '../../../shared/kv/config.ts';

export type QuorumMode = 'strict' | 'sloppy';
export const QUORUM_MODES: readonly QuorumMode[] = ['strict', 'sloppy'];

const N = KV_DEFAULTS.ring.replicas;
const R = KV_DEFAULTS.readQuorum;
const W = KV_DEFAULTS.writeQuorum;

export const QUORUM_TITLES: Readonly<Record<QuorumMode, string>> = {
  strict: 'Strict quorum (default)',
  sloppy: 'Sloppy quorum, hinted handoff',
};

/** One plain sentence each: what the mode promises, and what it costs. */
export const QUORUM_PROMISES: Readonly<Record<QuorumMode, string>> = {
  strict: `A read needs R = ${R} and a write W = ${W} of the key's N = ${N} owners: a read that starts after a write was acknowledged returns it or a later one, and an operation that cannot reach its quorum fails (NOQUORUM) rather than guess.`,
  sloppy: `When owners are down or cut off, the next live peers stand in and hand the writes back later: writes stay available through a partition, but reads may be stale and, of two writes made on both sides of it, the older is lost.`,
};

/** How a running cluster keeps its stores, in a few words. */
export function storageText(storage: { kind: 'disk' | 'memory'; folder?: string | undefined } | undefined): string | undefined {
  if (storage === undefined) return undefined;
  return storage.kind === 'disk' ? 'stores on disk' : 'stores in memory';
}

/** What the storage means for a killed peer. */
export function storageMeaning(storage: { kind: 'disk' | 'memory'; folder?: string | undefined }): string {
  return storage.kind === 'disk'
    ? `Each peer keeps its store on disk${storage.folder === undefined ? '' : ` (a folder each in ${storage.folder})`}: a killed peer comes back with every write it acknowledged.`
    : 'Each peer keeps its store in memory: a killed peer comes back empty and is refilled by the others.';
}
