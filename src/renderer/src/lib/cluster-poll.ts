/**
 * A read of the cluster repeated while a view needs it: every `intervalMs` once started, and at
 * once whenever a peer comes, goes or changes state (not a second later). The membership views
 * and the peers' ring states are read this way.
 */
import { watch } from 'vue';
import type { useClusterStore } from '../stores/cluster.ts';

export interface ClusterPoll {
  start(): void;
  stop(): void;
}

export function pollCluster(cluster: ReturnType<typeof useClusterStore>, refresh: () => Promise<void>, intervalMs: number): ClusterPoll {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void refresh().finally(loop), intervalMs);
  };
  watch(
    () => cluster.peers.map((peer) => `${peer.id}:${peer.state}`).join(','),
    () => void refresh(),
  );
  return {
    start(): void {
      void refresh();
      loop();
    },
    stop(): void {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
