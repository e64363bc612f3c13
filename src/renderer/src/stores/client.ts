/**
 * The one cluster client of this window, made once and shared by every store. Tests replace
 * it with `useClusterClient.set(fake)` before the stores are first used.
 */
import { createClusterClient, type ClusterClient } from '../api/client.ts';

let client: ClusterClient | undefined;
let failure: Error | undefined;

export function clusterClient(): ClusterClient {
  if (client !== undefined) return client;
  if (failure !== undefined) throw failure;
  try {
    client = createClusterClient();
  } catch (error) {
    failure = error as Error;
    throw failure;
  }
  return client;
}

/** Uses `replacement` as the window's client (tests, benchmarks). */
export function setClusterClient(replacement: ClusterClient): void {
  client = replacement;
  failure = undefined;
}
