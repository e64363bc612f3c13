/** The window's views, in the order of the sidebar; the digit is each one's shortcut (`viewKey`). */
import { defineAsyncComponent, type Component } from 'vue';

export interface ViewEntry {
  readonly id: string;
  readonly title: string;
  readonly hint: string;
  readonly component: Component;
  /** The cluster kinds the view has something to show for (default: both). */
  readonly kinds?: readonly ('kv' | 'dht')[];
  /**
   * The view shows the moment chosen on the timeline (`kv`: on a key-value cluster only); without
   * it, the view shows the present and says so.
   */
  readonly followsTimeline?: true | 'kv';
}

export const VIEWS: readonly ViewEntry[] = [
  { id: 'cluster', followsTimeline: true, title: 'Cluster', hint: 'Start, stop, kill and pause peers', component: defineAsyncComponent(() => import('./ClusterView.vue')) },
  { id: 'membership', followsTimeline: true, kinds: ['kv'], title: 'Membership', hint: 'What each peer believes about each other peer', component: defineAsyncComponent(() => import('./MembershipView.vue')) },
  { id: 'ring', followsTimeline: 'kv', title: 'Ring', hint: 'Tokens, keys and their preference lists; on a circular DHT its successors, files and routes', component: defineAsyncComponent(() => import('./RingOrDhtView.vue')) },
  { id: 'keys', followsTimeline: 'kv', kinds: ['kv'], title: 'Keys', hint: 'Create, read, update and delete through a coordinator', component: defineAsyncComponent(() => import('./KeysView.vue')) },
  { id: 'stores', followsTimeline: 'kv', kinds: ['kv'], title: 'Stores', hint: "Each peer's store and the replica diff", component: defineAsyncComponent(() => import('./StoresView.vue')) },
  { id: 'log', followsTimeline: true, title: 'Log', hint: 'The live journal: filter, follow, export', component: defineAsyncComponent(() => import('./LogView.vue')) },
  { id: 'faults', kinds: ['kv'], title: 'Faults', hint: 'Loss, delay and partitions', component: defineAsyncComponent(() => import('./FaultsView.vue')) },
  { id: 'charts', followsTimeline: true, title: 'Charts', hint: 'Messages, operations, latency and convergence', component: defineAsyncComponent(() => import('./ChartsView.vue')) },
  {
    id: 'messages',
    followsTimeline: true,
    title: 'Messages',
    hint: 'The space-time diagram: every message from send to delivery, one line per peer',
    component: defineAsyncComponent(() => import('./MessagesView.vue')),
  },
  { id: 'check', kinds: ['kv'], title: 'Check', hint: 'A workload under a seeded nemesis, the history judged: lost writes, stale reads, linearizability', component: defineAsyncComponent(() => import('./CheckView.vue')) },
];

export function viewById(id: string): ViewEntry {
  return VIEWS.find((view) => view.id === id) ?? (VIEWS[0] as ViewEntry);
}

/** A view's shortcut: its place in the sidebar, 1 to 9, then 0 for the tenth. */
export function viewKey(index: number): string {
  return index === 9 ? '0' : String(index + 1);
}
