// @vitest-environment jsdom
/**
 * The status bar's figures: the delay (median of the newest per-frame delays, ms) follows the
 * samples as they come, and "peers live" counts running, not paused, peers.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import StatusBar from '../../src/renderer/src/components/StatusBar.vue';
import { setClusterClient } from '../../src/renderer/src/stores/client.ts';
import { useStreamStore } from '../../src/renderer/src/stores/stream.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import { createFakeClient, entry, fakePeer, fakeSession, type FakeClient } from './support/fake-client.ts';

let client: FakeClient;
let sessionPeers: PeerSummaryWire[] = [];
beforeEach(() => {
  setActivePinia(createPinia());
  sessionPeers = [];
  client = createFakeClient({ session: () => fakeSession(sessionPeers) });
  setClusterClient(client);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const T0 = 1_700_000_000_000;

/** One frame of the stream: an entry that happened `delayMs` before the frame applies it, at `frameAt`. */
function frame(stream: ReturnType<typeof useStreamStore>, frameAt: number, delayMs: number): void {
  const clock = vi.spyOn(Date, 'now').mockReturnValue(frameAt);
  client.emit({ entries: [entry({ kind: 'log', tick: 1, peer: 'a', text: 'x' }, frameAt - delayMs)] });
  stream.flush();
  clock.mockRestore();
}

/** The median the status bar promises, computed here from the raw samples. */
function expectedMedian(samples: readonly number[], frames = 30): number {
  const last = [...samples.slice(Math.max(0, samples.length - frames))].sort((a, b) => a - b);
  const n = last.length;
  if (n % 2 === 1) return last[(n - 1) / 2]!;
  return Math.round((last[n / 2 - 1]! + last[n / 2]!) / 2);
}

const shownDelay = (bar: ReturnType<typeof mount>): string => bar.find('[data-testid="status-delay"]').text();

test('the delay figure follows new samples as they arrive, frame after frame', async () => {
  const stream = useStreamStore();
  stream.start();
  const bar = mount(StatusBar);
  expect(bar.find('[data-testid="status-delay"]').exists()).toBe(false);

  frame(stream, T0, 100);
  await flushPromises();
  expect(shownDelay(bar)).toBe('delay 100 ms');

  // The stream slows down: the figure must move, not stay at the first sample.
  const shown: string[] = [];
  for (let index = 1; index <= 40; index++) {
    frame(stream, T0 + index * 50, 900);
    await flushPromises();
    shown.push(shownDelay(bar));
  }
  // One 100 and one 900: their mean; then 900 once 900s are the majority.
  expect(shown[0]).toBe('delay 500 ms');
  expect(shown.at(-1)).toBe('delay 900 ms');
  // And back down when it recovers.
  for (let index = 41; index <= 80; index++) frame(stream, T0 + index * 50, 20);
  await flushPromises();
  expect(shownDelay(bar)).toBe('delay 20 ms');
  expect(stream.delaysMs).toHaveLength(81);
});

test('the delay figure is the median of the last 30 frames’ delays, in ms, and says so on hover', async () => {
  const stream = useStreamStore();
  stream.start();
  const bar = mount(StatusBar);
  // Delays that are not in order and repeat, over more frames than the window holds.
  const samples = Array.from({ length: 47 }, (_, index) => ((index * 37) % 101) * 7 + (index % 3));
  for (const [index, delay] of samples.entries()) {
    frame(stream, T0 + index * 16, delay);
    await flushPromises();
    // Odd and even counts alike (the first 30 frames), then the last 30 only.
    expect(shownDelay(bar)).toBe(`delay ${expectedMedian(samples.slice(0, index + 1))} ms`);
  }
  expect(stream.delaysMs).toEqual(samples);
  const title = bar.find('[data-testid="status-delay"]').attributes('title') ?? '';
  expect(title).toMatch(/median/i);
  expect(title).toMatch(/last 30/);
  expect(title).toMatch(/\bms\b/);
});

test('"peers live" counts running peers, not paused ones, and shows the paused apart', async () => {
  sessionPeers = [1, 2, 3, 4, 5].map((number) => fakePeer(number));
  const cluster = useClusterStore();
  const stream = useStreamStore();
  cluster.connect();
  await flushPromises();
  const bar = mount(StatusBar);
  await flushPromises();
  const peersText = () => bar.find('[data-testid="status-peers"]').text();
  expect(peersText()).toBe('5 / 5 peers live');

  // #2 is paused and #4 killed: the stream brings the new summaries.
  sessionPeers = [fakePeer(1), fakePeer(2, 'paused'), fakePeer(3), fakePeer(4, 'killed'), fakePeer(5)];
  client.emit({ entries: [], peers: sessionPeers });
  stream.flush();
  await flushPromises();
  const running = sessionPeers.filter((peer) => peer.state === 'running').length;
  expect(running).toBe(3);
  expect(peersText()).toBe(`${running} / 5 peers live · 1 paused`);
  expect(bar.find('[data-testid="status-peers"]').attributes('title')).toMatch(/running and not paused/);

  // Resumed: live again, and the paused note goes.
  sessionPeers = [fakePeer(1), fakePeer(2), fakePeer(3), fakePeer(4, 'killed'), fakePeer(5)];
  client.emit({ entries: [], peers: sessionPeers });
  stream.flush();
  await flushPromises();
  expect(peersText()).toBe('4 / 5 peers live');
  cluster.disconnect();
  bar.unmount();
});
