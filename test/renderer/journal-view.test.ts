// @vitest-environment jsdom
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { flushPromises, type VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { formatNdjsonLine, type SessionEntry } from '../../src/shared/journal/session.ts';
import { mountLogView } from './support/log-view.ts';
import { createFakeClient, fakePeer, type FakeClient } from './support/fake-client.ts';

const P1 = '127.0.0.1:4001';
const P2 = '127.0.0.1:4002';

function log(seq: number, peer: string, text: string): SessionEntry {
  return { seq, at: new Date(2026, 0, 1, 10, 0, 0, seq).getTime(), event: { kind: 'log', tick: seq, peer, text } };
}
function joined(seq: number, peer: string, subject: string): SessionEntry {
  return { seq, at: new Date(2026, 0, 1, 10, 0, 0, seq).getTime(), event: { kind: 'member.added', tick: seq, peer, subject } };
}

let client: FakeClient;
let wrapper: VueWrapper | undefined;
const frames: (() => void)[] = [];
const runFrames = (): void => {
  while (frames.length > 0) frames.shift()!();
};

beforeEach(() => {
  setActivePinia(createPinia());
  frames.length = 0;
  vi.stubGlobal('requestAnimationFrame', (callback: () => void) => frames.push(callback));
  client = createFakeClient();
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = undefined;
  vi.unstubAllGlobals();
});

async function open(history: SessionEntry[], peers = [fakePeer(1), fakePeer(2)]): Promise<VueWrapper> {
  wrapper = await mountLogView(client, history, peers);
  await flushPromises();
  return wrapper;
}

/** Each line's cells (time, peer, kind, text), joined by spaces. */
const lineTexts = (view: VueWrapper): string[] =>
  view.findAll('[data-testid="log-line"]').map((line) =>
    line
      .findAll('span')
      .map((cell) => cell.text())
      .join(' '),
  );

test('each line shows the time, the peer by number, the kind and the line in words, naming peers as the peer column does', async () => {
  const view = await open([log(0, P1, 'hello'), joined(1, P2, P1)]);
  expect(view.get('[data-testid="log-summary"]').text()).toBe('2 lines');
  expect(lineTexts(view)).toEqual(['10:00:00.000 #1 log hello', '10:00:00.001 #2 member.added #1 joined (as #2 sees it)']);
});

test('new lines from the stream appear in the next frame', async () => {
  const view = await open([log(0, P1, 'first')]);
  client.emit({ entries: [log(1, P2, 'second')] });
  runFrames();
  await flushPromises();
  expect(lineTexts(view).map((text) => text.split(' ').at(-1))).toEqual(['first', 'second']);
});

test('filters by peer, by kind and by text; a filter that hides everything says so', async () => {
  const view = await open([log(0, P1, 'alpha'), log(1, P2, 'beta'), joined(2, P1, P2)]);
  await view.get('[data-testid="log-peer"]').setValue(P2);
  await flushPromises();
  expect(lineTexts(view).map((text) => text.split(' ').at(-1))).toEqual(['beta']);
  expect(view.get('[data-testid="log-summary"]').text()).toBe('1 of 3 lines match');

  await view.get('[data-testid="log-peer"]').setValue('');
  await view.get('[data-group="log"]').trigger('click');
  await flushPromises();
  expect(view.get('[data-group="log"]').attributes('aria-pressed')).toBe('false');
  expect(lineTexts(view)).toHaveLength(1);
  expect(lineTexts(view)[0]).toContain('member.added');

  await view.get('[data-testid="log-clear-filter"]').trigger('click');
  vi.useFakeTimers();
  await view.get('[data-testid="log-text"]').setValue('ALPHA');
  vi.advanceTimersByTime(200);
  vi.useRealTimers();
  await flushPromises();
  expect(lineTexts(view).map((text) => text.split(' ').at(-1))).toEqual(['alpha']);

  vi.useFakeTimers();
  await view.get('[data-testid="log-text"]').setValue('nowhere to be found');
  vi.advanceTimersByTime(200);
  vi.useRealTimers();
  await flushPromises();
  expect(view.get('[data-testid="log-empty"]').text()).toContain('No line matches');
});

test('imports a saved journal, says what it read, and goes back to the live one', async () => {
  const view = await open([log(0, P1, 'live line')]);
  const text = formatNdjsonLine(log(5, '10.0.0.1:7001', 'from the file')) + 'garbage\n';
  const file = new File([text], 'saved.ndjson', { type: 'application/x-ndjson' });
  const input = view.get('[data-testid="log-import-file"]');
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
  await input.trigger('change');
  await vi.waitFor(() => expect(view.find('[data-testid="log-imported"]').exists()).toBe(true));
  await flushPromises();
  expect(view.get('[data-testid="log-imported"]').text()).toContain('imported: saved.ndjson (1 entries, 1 bad line)');
  expect(lineTexts(view)).toEqual(['10:00:00.005 #1 log from the file']);
  await view.get('[data-testid="log-back-live"]').trigger('click');
  await flushPromises();
  expect(view.find('[data-testid="log-imported"]').exists()).toBe(false);
  expect(lineTexts(view).map((line) => line.split(' ').slice(-2).join(' '))).toEqual(['live line']);
});

test('export asks the bridge for the chosen format and says where the file went', async () => {
  const view = await open([log(0, P1, 'x')]);
  vi.mocked(client.exportJournal).mockResolvedValueOnce({ downloaded: 'ringside-session.shiviz.log' });
  await view.get('[data-format="shiviz"]').trigger('click');
  await flushPromises();
  expect(client.exportJournal).toHaveBeenCalledWith('shiviz');
  const note = view.get('[data-testid="log-export-note"]').text();
  expect(note).toContain("Downloaded ringside-session.shiviz.log, the whole session (to the browser's downloads folder)");
  expect(note).toContain('(?<host>\\S*) (?<clock>{.*})');
});

test('with no cluster and no lines, it says how to get some', async () => {
  const view = await open([], []);
  expect(view.get('[data-testid="log-empty"]').text()).toContain('Start a cluster');
});

test('Pause stops following and the new lines are counted; the count jumps back to following', async () => {
  const view = await open([log(0, P1, 'a')]);
  const follow = view.get('[data-testid="log-follow"]');
  expect(follow.attributes('aria-pressed')).toBe('true');
  await follow.trigger('click');
  expect(follow.attributes('aria-pressed')).toBe('false');
  client.emit({ entries: [log(1, P1, 'b'), log(2, P1, 'c')] });
  runFrames();
  await flushPromises();
  expect(view.get('[data-testid="log-new-lines"]').text()).toBe('↓ 2 new lines');
  await view.get('[data-testid="log-new-lines"]').trigger('click');
  expect(follow.attributes('aria-pressed')).toBe('true');
  expect(view.find('[data-testid="log-new-lines"]').exists()).toBe(false);
});
