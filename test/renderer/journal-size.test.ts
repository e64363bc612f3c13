// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import StatusBar from '../../src/renderer/src/components/StatusBar.vue';
import LogView from '../../src/renderer/src/views/LogView.vue';
import { journalStatus } from '../../src/renderer/src/lib/journal-status.ts';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import { useJournalStore } from '../../src/renderer/src/stores/journal.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import type { JournalInfo } from '../../src/shared/api/cluster-api.ts';
import { formatNdjsonLine } from '../../src/shared/journal/session.ts';
import { createFakeClient, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';

const MiB = 1_048_576;
const window = { entries: 120_000, bytes: 30 * MiB, entriesMax: 200_000, bytesMax: 64 * MiB };
const capped: JournalInfo = {
  entries: 900_000,
  path: '/tmp/session.ndjson',
  bytesWritten: 700 * MiB,
  window,
  bytesOnDisk: 200 * MiB,
  parts: 4,
  maxBytes: 256 * MiB,
  partsDropped: 8,
  bytesDropped: 500 * MiB,
  entriesDropped: 640_000,
};

describe('the journal’s size in words', () => {
  test('says what is on disk against its cap, and what rotation dropped', () => {
    const status = journalStatus(capped);
    expect(status.text).toBe('recording 200.0 MiB of 256.0 MiB to /tmp/session.ndjson (8 older parts dropped, 500.0 MiB)');
    expect(status.title).toContain('in 4 parts (/tmp/session.ndjson.N, oldest first, then /tmp/session.ndjson)');
    expect(status.title).toContain('8 parts (500.0 MiB, 640,000 entries) so far. Exports hold what is kept.');
    expect(status.title).toContain('keeps the newest 120,000 entries in memory (30.0 MiB of at most 64.0 MiB)');
    expect(status.error).toBe(false);
  });

  test('without a cap, without a file, and after a failed write', () => {
    expect(journalStatus({ entries: 5, path: '/tmp/s.ndjson', bytesWritten: 2048, window, bytesOnDisk: 2048, parts: 1, partsDropped: 0, bytesDropped: 0, entriesDropped: 0 })).toMatchObject({
      text: 'recording 2.0 KiB to /tmp/s.ndjson',
      title: expect.stringContaining('No size cap (ringside serve --journal-max-mb sets one).'),
    });
    expect(journalStatus({ entries: 5, bytesWritten: 0, window }).text).toBe('not recorded to disk (memory only)');
    expect(journalStatus({ entries: 5, path: '/tmp/s.ndjson', bytesWritten: 10, writeError: 'ENOSPC' })).toMatchObject({ text: 'not recording: ENOSPC', error: true });
    // A server from before issue 12 sends no sizes beyond bytesWritten.
    expect(journalStatus({ entries: 5, path: '/tmp/s.ndjson', bytesWritten: 3 * MiB }).text).toBe('recording 3.0 MiB to /tmp/s.ndjson');
  });
});

describe('the window', () => {
  let client: FakeClient;
  let wrapper: VueWrapper | undefined;
  beforeEach(() => {
    setActivePinia(createPinia());
    vi.stubGlobal('requestAnimationFrame', (callback: () => void) => setTimeout(callback, 0));
    client = createFakeClient();
    client.calls.session.mockResolvedValue({ ...fakeSession([fakePeer(1)]), journal: capped });
    client.calls.journalEntries.mockResolvedValue([]);
    setClusterClient(client);
  });
  afterEach(() => {
    wrapper?.unmount();
    wrapper = undefined;
    vi.unstubAllGlobals();
  });

  test('shows the recording’s size, cap and dropped parts in the status bar and the log view', async () => {
    const cluster = useClusterStore();
    await cluster.refreshSession();
    wrapper = mount(StatusBar);
    expect(wrapper.get('[data-testid="status-journal"]').text()).toBe('recording 200.0 MiB of 256.0 MiB to /tmp/session.ndjson (8 older parts dropped, 500.0 MiB)');
    wrapper.unmount();
    useStreamStore().start();
    wrapper = mount(LogView, { attachTo: document.body });
    await vi.waitFor(() => expect(useJournalStore().history).toBe('loaded'));
    await flushPromises();
    expect(wrapper.get('[data-testid="log-rotation"]').text()).toBe(
      'recording capped at 256.0 MiB: 8 older parts dropped, 500.0 MiB (640,000 entries); exports hold the 200.0 MiB kept',
    );
  });

  test('imports an old journal with whole values a slice at a time, keeping previews only', async () => {
    const value = 'v'.repeat(MiB);
    const lines = Array.from({ length: 3 }, (_, seq) =>
      formatNdjsonLine({ seq, at: 1_795_000_000_000 + seq, event: { kind: 'kv.replica', tick: seq, peer: '127.0.0.1:4001', transaction: seq, op: 'put', key: `k${seq}`, value, ok: true } }),
    );
    lines.push(formatNdjsonLine({ seq: 3, at: 1_795_000_000_003, event: { kind: 'log', tick: 3, peer: '127.0.0.1:4002', text: 'after the values' } }));
    const file = Object.assign(new Blob([lines.join(''), 'a bad line']), { name: 'old.ndjson' });
    expect(file.size).toBeGreaterThan(3 * MiB);
    const slices = vi.spyOn(file, 'slice');
    const journal = useJournalStore();
    const info = await journal.importFile(file);
    expect(info).toMatchObject({ entries: 4, badLines: 1, refused: [{ line: 5, reason: 'not JSON' }] });
    expect(slices.mock.calls.length).toBeGreaterThanOrEqual(3);
    const first = journal.lineAt(0)?.event;
    expect(first).toMatchObject({ kind: 'kv.replica', size: MiB, preview: 'v'.repeat(64), truncated: true });
    expect(first).not.toHaveProperty('value');
    expect(journal.peerLabel('127.0.0.1:4002')).toBe('#2');
  });
});
