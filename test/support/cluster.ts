/**
 * Helpers for tests with real peer processes. Waiting is bounded and says what it waited for:
 * a wait that runs out fails with the last state it saw, never passes silently.
 */
import type { ClusterManager } from '../../src/main/cluster/manager.ts';
import type { MemberViewWire } from '../../src/shared/protocol/control.ts';

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, options: { timeoutMs?: number; intervalMs?: number; describe?: () => unknown } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const state = options.describe ? ` Last state: ${JSON.stringify(await options.describe())}` : '';
      throw new Error(`timed out waiting for ${what}.${lastError ? ` Last error: ${(lastError as Error).message}.` : ''}${state}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Each running peer's view, as `{ observer: { subject: state } }`. */
export async function viewTable(manager: ClusterManager): Promise<Record<string, Record<string, string>>> {
  const table: Record<string, Record<string, string>> = {};
  for (const [observer, view] of await manager.views()) table[observer] = Object.fromEntries(view.map((member: MemberViewWire) => [member.id, member.state]));
  return table;
}

/** True when every observer believes `subject` is in one of `states` (no row counts as gone). */
export async function everyView(manager: ClusterManager, observers: readonly string[], subject: string, states: readonly string[]): Promise<boolean> {
  const table = await viewTable(manager);
  return observers.every((observer) => {
    const row = table[observer];
    if (row === undefined) return false;
    return states.includes(row[subject] ?? 'none');
  });
}

/** True when each of `peers` sees exactly `peers` alive. */
export async function converged(manager: ClusterManager, peers: readonly string[]): Promise<boolean> {
  const table = await viewTable(manager);
  return peers.every((observer) => {
    const row = table[observer];
    if (row === undefined) return false;
    const alive = Object.entries(row).filter(([, state]) => state === 'alive').map(([id]) => id).sort();
    return alive.length === peers.length && alive.every((id, index) => id === [...peers].sort()[index]);
  });
}

/** For each key, the live peers holding it (not as a tombstone) and the versions they hold. */
export async function replicaMap(manager: ClusterManager, peers: readonly string[]): Promise<Map<string, { holders: string[]; versions: Set<string>; values: Set<string> }>> {
  const map = new Map<string, { holders: string[]; versions: Set<string>; values: Set<string> }>();
  for (const peer of peers) {
    const inspection = await manager.inspect(peer);
    for (const record of inspection.records) {
      if (record.deleted) continue;
      let entry = map.get(record.key);
      if (entry === undefined) {
        entry = { holders: [], versions: new Set(), values: new Set() };
        map.set(record.key, entry);
      }
      entry.holders.push(peer);
      entry.versions.add(`${record.version.tick}.${record.version.counter}.${record.version.peer}`);
      entry.values.add(record.value);
    }
  }
  return map;
}
