/**
 * The Log view mounted against a fake client whose journal holds `history`: the stream started,
 * the view's first load of the session so far done. Shared by the Log view's test files.
 */
import { expect, vi } from 'vitest';
import { mount, type VueWrapper } from '@vue/test-utils';
import type { PeerSummaryWire } from '../../../src/shared/api/cluster-api.ts';
import type { SessionEntry } from '../../../src/shared/journal/session.ts';
import { setClusterClient } from '../../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../../src/renderer/src/stores/cluster.ts';
import { useJournalStore } from '../../../src/renderer/src/stores/journal.ts';
import { useStreamStore } from '../../../src/renderer/src/stores/stream.ts';
import LogView from '../../../src/renderer/src/views/LogView.vue';
import { fakeSession, type FakeClient } from './fake-client.ts';

export async function mountLogView(client: FakeClient, history: readonly SessionEntry[], peers: PeerSummaryWire[]): Promise<VueWrapper> {
  client.calls.session.mockResolvedValue({ ...fakeSession(peers), journal: { entries: (history.at(-1)?.seq ?? -1) + 1, bytesWritten: 0 } });
  client.calls.journalEntries.mockImplementation(async (since: number, limit: number) => history.filter((entry) => entry.seq > since).slice(0, limit));
  setClusterClient(client);
  useClusterStore().peers = peers;
  useStreamStore().start();
  const wrapper = mount(LogView, { attachTo: document.body });
  await vi.waitFor(() => expect(useJournalStore().history).toBe('loaded'));
  return wrapper;
}
