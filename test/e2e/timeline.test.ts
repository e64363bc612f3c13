/**
 * The timeline against four real peers: a kill is marked, dragging the strip back shows the
 * cluster before it (the killed peer alive, no actions, marked as the past), stepping moves one
 * entry at a time, playing returns to live; then the session, saved and imported, is scrubbed,
 * stepped and replayed with no peer running. Screenshots: test-results/e2e/timeline-*.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, onTestFinished, test, vi } from 'vitest';
import { formatNdjsonLine } from '../../src/shared/journal/session.ts';
import { startApp, type App } from './support/app.ts';

let app: App;
let killedId = '';
let killedAt = 0;

beforeAll(async () => {
  app = await startApp();
  await app.page.getByTestId('cluster-empty').waitFor();
  await app.page.locator('input[aria-label="Peers to start"]').fill('4');
  await app.page.getByTestId('start-cluster').click();
  await vi.waitFor(() => expect(app.manager.runningPeers()).toHaveLength(4), { timeout: 90_000, interval: 200 });
  // Every peer sees every other before the kill.
  await vi.waitFor(async () => expect(await app.page.locator('[data-testid="peer-state"]').allTextContents()).toEqual(['alive', 'alive', 'alive', 'alive']), { timeout: 30_000, interval: 200 });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const third = app.manager.peers()[2]!;
  killedId = third.id;
  killedAt = Date.now();
  await app.page.locator(`tr[data-peer="${third.id}"] button[data-action="kill"]`).click();
  await vi.waitFor(async () => expect(await app.page.locator(`tr[data-peer="${third.id}"] [data-testid="peer-state"]`).textContent()).toBe('killed'), { timeout: 20_000, interval: 200 });
  await new Promise((resolve) => setTimeout(resolve, 1500));
}, 150_000);
afterAll(async () => app?.close());

const where = async (): Promise<string> => (await app.page.getByTestId('timeline-where').textContent()) ?? '';

/** Clicks the strip at the moment `at` (ms since the epoch), from its drawn span. */
async function clickStripAt(at: number): Promise<void> {
  const strip = app.page.getByTestId('timeline-strip');
  const box = (await strip.boundingBox())!;
  // The page's timeline store, through the Vue app on #app (the tests' DOM types are not loaded here).
  type Stores = { _s: Map<string, { timeline: () => { span: { fromAt: number; toAt: number } } }> };
  type Page = { document: { querySelector(selector: string): { __vue_app__: { config: { globalProperties: { $pinia: Stores } } } } } };
  const span = await app.page.evaluate(() => (globalThis as unknown as Page).document.querySelector('#app').__vue_app__.config.globalProperties.$pinia._s.get('timeline')!.timeline().span);
  const fraction = (at - span.fromAt) / (span.toAt - span.fromAt);
  await app.page.mouse.click(box.x + fraction * box.width, box.y + box.height / 2);
}

test('live, the strip says so; back before the kill, the Cluster view shows the killed peer alive, as the past', async () => {
  const { page } = app;
  expect(await where()).toMatch(/^Live · [\d,]+ entries · cluster 1$/);
  await app.screenshot('timeline-live');
  await clickStripAt(killedAt - 800);
  await expect.poll(where).toMatch(/^Past: \d\d:\d\d:\d\d\.\d{3} · entry [\d,]+ of [\d,]+ · cluster 1$/);
  await page.getByTestId('past-banner').waitFor();
  await expect.poll(async () => page.locator(`tr[data-peer="${killedId}"] [data-testid="peer-state"]`).textContent()).toBe('alive');
  // Nothing can be done to the past.
  expect(await page.locator('[data-testid="peers-table"] button[data-action]').count()).toBe(0);
  await app.screenshot('timeline-past-cluster');

  // One entry forward, then back: the position moves by one.
  const position = (): Promise<number> => where().then((text) => Number(/entry ([\d,]+) of/.exec(text)![1]!.replaceAll(',', '')));
  const before = await position();
  await page.getByTestId('timeline-step').click();
  await expect.poll(position).toBe(before + 1);
  await page.getByTestId('timeline-step-back').click();
  await expect.poll(position).toBe(before);

  // The Membership view shows that moment's beliefs, and says the other views show the present.
  await app.open('membership');
  await expect.poll(() => page.locator('[data-testid="membership-matrix"] tbody tr').count()).toBe(4);
  await app.screenshot('timeline-past-membership');
  // The Ring and the Stores follow the moment on a key-value cluster; the Faults (an editor) show the present.
  await app.open('ring');
  await expect.poll(async () => (await page.getByTestId('past-banner').textContent()) ?? '').toContain('Ring shows the world as the journal says it was then');
  await app.screenshot('timeline-past-ring');
  await app.open('stores');
  await page.getByTestId('stores-past').waitFor();
  await app.screenshot('timeline-past-stores');
  await app.open('faults');
  await page.getByTestId('present-only').waitFor();
  await app.open('cluster');

  // Played at 50×, it reaches the newest entry and is live again.
  await page.getByTestId('timeline-speed').selectOption('50');
  await page.getByTestId('timeline-play').click();
  await expect.poll(where, { timeout: 20_000 }).toMatch(/^Live/);
  await expect.poll(() => page.getByTestId('past-banner').count()).toBe(0);
  expect(await page.locator(`tr[data-peer="${killedId}"] [data-testid="peer-state"]`).textContent()).toBe('killed');
});

test('the space-time diagram draws the messages between the peers; a click on one moves the timeline to its send', async () => {
  const { page } = app;
  await app.open('messages');
  await expect.poll(async () => Number(/^([\d,]+) messages/.exec((await page.getByTestId('diagram-counts').textContent()) ?? '')?.[1]?.replaceAll(',', '') ?? 0), { timeout: 10_000 }).toBeGreaterThan(20);
  await app.screenshot('timeline-messages-live');
  // Find an arrow: sweep the diagram from the right until the pointer is on one.
  const canvas = page.getByTestId('diagram-canvas');
  const box = (await canvas.boundingBox())!;
  let found = false;
  for (let x = box.x + box.width - 20; x > box.x + 80 && !found; x -= 4) {
    for (let dy = 30; dy < box.height - 10; dy += 16) {
      await page.mouse.move(x, box.y + dy);
      if ((await page.getByTestId('diagram-hover').count()) > 0) {
        found = true;
        break;
      }
    }
  }
  expect(found).toBe(true);
  expect(await page.getByTestId('diagram-hover').textContent()).toMatch(/^\S+ #\d → #\d: (sent \d\d:\d\d:\d\d\.\d{3}|dropped)/);
  await app.screenshot('timeline-messages-hover');
  await page.mouse.down();
  await page.mouse.up();
  await expect.poll(where).toMatch(/^Past:/);
  await page.keyboard.press('l');
  await expect.poll(where).toMatch(/^Live/);
  await app.open('cluster');
});

test('a saved session, imported, is scrubbed, stepped and replayed with no peer running', async () => {
  const { page, manager } = app;
  const entries = manager.journal.entriesAfter(-1, 100_000);
  await page.getByTestId('stop-cluster').click();
  await vi.waitFor(() => expect(manager.runningPeers()).toHaveLength(0), { timeout: 20_000 });
  const folder = mkdtempSync(join(tmpdir(), 'ringside-e2e-timeline-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  const path = join(folder, 'lesson.ndjson');
  writeFileSync(path, entries.map(formatNdjsonLine).join(''));
  await app.open('log');
  await page.getByTestId('log-import-file').setInputFiles(path);
  await page.getByTestId('log-imported').waitFor();
  await expect.poll(where).toMatch(/^lesson\.ndjson: .* · entry [\d,]+ of [\d,]+ · cluster 1/);

  // To the start: no peer yet. A step at a time, then play: the peers appear, one is killed.
  await app.open('cluster');
  await page.getByTestId('timeline-start').click();
  await expect.poll(async () => (await page.getByTestId('cluster-empty').textContent()) ?? '').toContain('No peers at this moment');
  for (let step = 0; step < 4; step++) await page.getByTestId('timeline-step').click();
  await expect.poll(() => where().then((text) => /entry 4 of/.test(text))).toBe(true);
  await clickStripAt(killedAt - 800);
  await expect.poll(async () => page.locator(`tr[data-peer="${killedId}"] [data-testid="peer-state"]`).textContent()).toBe('alive');
  await app.screenshot('timeline-imported-before-kill');
  await page.getByTestId('timeline-speed').selectOption('50');
  await page.getByTestId('timeline-play').click();
  await expect.poll(async () => page.locator(`tr[data-peer="${killedId}"] [data-testid="peer-state"]`).textContent(), { timeout: 20_000 }).toBe('killed');
  await expect.poll(async () => page.getByTestId('timeline-play').getAttribute('aria-label'), { timeout: 20_000 }).toBe('Play');
  await app.screenshot('timeline-imported-end');

  // l: the live session again (no peer runs in it now).
  await page.keyboard.press('l');
  await expect.poll(where).toMatch(/^Live/);
  expect(await page.getByTestId('log-imported').count()).toBe(0);
  expect(app.pageErrors).toEqual([]);
}, 90_000);
