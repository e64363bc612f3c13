/**
 * The log and the charts against five real peers: the log fills, filters by peer and by text,
 * exports each format as a download whose contents are checked, imports a saved journal; the
 * charts draw. Screenshots of each step go to test-results/e2e/log-*.png and charts-*.png.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, onTestFinished, test, vi } from 'vitest';
import { parseJournal, SHIVIZ_REGEX, type ExportFormat } from '../../src/shared/journal/session.ts';
import { startApp, type App } from './support/app.ts';

let app: App;
const downloads = new Map<ExportFormat, string>();

beforeAll(async () => {
  app = await startApp();
  // The window is connected once it shows the empty session.
  await app.page.getByTestId('cluster-empty').waitFor();
  await app.page.getByTestId('start-cluster').click();
  await vi.waitFor(() => expect(app.manager.runningPeers()).toHaveLength(5), { timeout: 90_000, interval: 200 });
});
afterAll(async () => app?.close());

const lines = () => app.page.getByTestId('log-line');

test('the log fills with the peers’ lines as they happen, newest at the bottom', async () => {
  const { page } = app;
  await app.open('log');
  await expect.poll(() => lines().count(), { timeout: 20_000 }).toBeGreaterThan(20);
  // Joins are there, numbered by peer.
  await expect.poll(async () => (await page.getByTestId('log-summary').textContent()) ?? '', { timeout: 10_000 }).toMatch(/^[\d,]+ lines$/);
  const last = lines().last();
  await expect.poll(async () => (await last.boundingBox())?.y ?? 0).toBeGreaterThan(500);
  expect(await page.getByTestId('log-follow').getAttribute('aria-pressed')).toBe('true');
  await app.screenshot('log-live');
});

test('filtering by a peer keeps only that peer’s lines; by text, only the lines that say it', async () => {
  const { page } = app;
  const second = app.manager.peers()[1]!;
  await page.getByTestId('log-peer').selectOption(second.id);
  await expect.poll(async () => new Set(await page.locator('[data-testid="log-line"] .peer').allTextContents()), { timeout: 10_000 }).toEqual(new Set([`#${second.number}`]));
  await expect.poll(async () => (await page.getByTestId('log-summary').textContent()) ?? '').toMatch(/^[\d,]+ of [\d,]+ lines match$/);
  await app.screenshot('log-filter-peer');

  await page.getByTestId('log-peer').selectOption('');
  await page.getByTestId('log-text').fill('joined');
  await expect.poll(async () => {
    const texts = await page.locator('[data-testid="log-line"] .text').allTextContents();
    return texts.length > 0 && texts.every((text) => text.includes('joined'));
  }, { timeout: 10_000 }).toBe(true);
  // Five peers each see five joins (their own included).
  await expect.poll(() => lines().count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(25);
  await app.screenshot('log-filter-text');

  await page.getByTestId('log-clear-filter').click();
  await expect.poll(async () => (await page.getByTestId('log-summary').textContent()) ?? '').toMatch(/^[\d,]+ lines$/);
  await page.waitForTimeout(500);
  // Filtering and clearing left the log following the newest line.
  expect(await page.getByTestId('log-follow').getAttribute('aria-pressed')).toBe('true');
});

test('scrolling up pauses following and counts the lines that come meanwhile; the count jumps back', async () => {
  const { page } = app;
  const follow = page.getByTestId('log-follow');
  await page.getByTestId('log-scroller').hover();
  await page.mouse.wheel(0, -400);
  await expect.poll(() => follow.getAttribute('aria-pressed')).toBe('false');
  const newLines = page.getByTestId('log-new-lines');
  await newLines.waitFor({ timeout: 10_000 });
  expect(await newLines.textContent()).toMatch(/↓ [\d,]+ new lines?/);
  await app.screenshot('log-paused');
  await newLines.click();
  await expect.poll(() => follow.getAttribute('aria-pressed')).toBe('true');
  await expect.poll(() => newLines.count()).toBe(0);
});

async function exportAs(format: ExportFormat): Promise<string> {
  const { page } = app;
  expect(await page.getByTestId('log-follow').getAttribute('aria-pressed'), `following before exporting ${format}`).toBe('true');
  await page.getByTestId('log-export').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-format="${format}"]`).click()]);
  const path = await download.path();
  expect(path).toBeTruthy();
  const text = readFileSync(path, 'utf8');
  downloads.set(format, text);
  await expect.poll(async () => (await page.getByTestId('log-export-note').textContent()) ?? '').toContain(`Downloaded ${download.suggestedFilename()}`);
  return text;
}

test('exports the session as NDJSON that reads back, with every peer’s joins', async () => {
  const text = await exportAs('ndjson');
  const parsed = parseJournal(text);
  expect(parsed.refusedCount).toBe(0);
  expect(parsed.entries.length).toBeGreaterThan(20);
  const joins = parsed.entries.filter((entry) => entry.event.kind === 'member.added');
  expect(new Set(joins.map((entry) => ('subject' in entry.event ? entry.event.subject : ''))).size).toBe(5);
  await app.screenshot('log-export-ndjson');
});

test('exports the classroom dbg.log: the magic line, then ` ADDRESS [TICK] Node … joined at time …`', async () => {
  const text = await exportAs('dbg');
  expect(text.startsWith('131\n\n')).toBe(true);
  const entries = text.split('\n').slice(2);
  expect(entries.length).toBeGreaterThan(5);
  for (const entry of entries) expect(entry).toMatch(/^ \S+ \[\d+\] /);
  expect(entries.some((entry) => /^ \S+ \[\d+\] Node \S+ joined at time \d+$/.test(entry))).toBe(true);
});

test('exports plain text: an ISO time, the peer and the line in words', async () => {
  const text = await exportAs('text');
  const first = text.split('\n')[0]!;
  expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}\S+ {2}.+$/);
  expect(text).toContain('joined (as ');
});

test('exports a ShiViz log whose every event its regular expression parses', async () => {
  const text = await exportAs('shiviz');
  const [host, event] = text.split('\n');
  expect(host).toMatch(/^\S+ \{"[^"]+":\d+.*\}$/);
  expect(event).toBeTruthy();
  const regex = new RegExp(SHIVIZ_REGEX, 'g');
  const matched = [...text.matchAll(regex)];
  expect(matched.length).toBe(text.split('\n').filter((line) => line !== '').length / 2);
  expect(JSON.parse(matched[0]!.groups!['clock']!)).toBeTypeOf('object');
  // Filtering, clearing and exporting left the log following the newest line.
  expect(await app.page.getByTestId('log-follow').getAttribute('aria-pressed')).toBe('true');
  await app.screenshot('log-export-shiviz');
});

test('exports only the lines shown: one peer, one kind, made in the window; the menu says the other export is the whole session', async () => {
  const { page } = app;
  const second = app.manager.peers()[1]!;
  await page.getByTestId('log-peer').selectOption(second.id);
  await page.locator('[data-group="messages"]').hover();
  await page.locator('[data-only="messages"]').click();
  await expect.poll(async () => new Set(await page.locator('[data-testid="log-line"] .kind').allTextContents()), { timeout: 10_000 }).toEqual(new Set(['message.sent', 'message.delivered']));
  await app.screenshot('log-only-messages');
  await page.getByTestId('log-export').click();
  expect(await page.getByTestId('log-export-whole').textContent()).toContain('the filters, the time window and the timeline');
  expect(await page.getByTestId('log-export-shown').textContent()).toMatch(/[\d,]+ lines shown, filtered/);
  await app.screenshot('log-export-menu');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-lines-format="ndjson"]').click()]);
  expect(download.suggestedFilename()).toBe('ringside-lines.ndjson');
  const parsed = parseJournal(readFileSync((await download.path())!, 'utf8'));
  expect(parsed.refusedCount).toBe(0);
  expect(parsed.entries.length).toBeGreaterThan(0);
  for (const { event } of parsed.entries) {
    expect('peer' in event ? event.peer : 'cluster').toBe(second.id);
    expect(event.kind.startsWith('message.')).toBe(true);
  }
  await expect.poll(async () => (await page.getByTestId('log-export-note').textContent()) ?? '').toContain('(not the whole session)');
  await page.getByTestId('log-clear-filter').click();
  await expect.poll(async () => (await page.getByTestId('log-summary').textContent()) ?? '').toMatch(/^[\d,]+ lines$/);
});

test('imports a saved journal and shows it read-only with what was read; back to the live log', async () => {
  const { page } = app;
  const saved = downloads.get('ndjson')!;
  const folder = mkdtempSync(join(tmpdir(), 'ringside-e2e-import-'));
  onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
  const path = join(folder, 'saved-session.ndjson');
  writeFileSync(path, `${saved}this line is not JSON\n`);
  const count = parseJournal(saved).entries.length;
  await page.getByTestId('log-import-file').setInputFiles(path);
  const banner = page.getByTestId('log-imported');
  await banner.waitFor();
  expect(await banner.textContent()).toContain(`imported: saved-session.ndjson (${count.toLocaleString('en-US')} entries, 1 bad line)`);
  await expect.poll(async () => (await page.getByTestId('log-summary').textContent()) ?? '').toBe(`${count.toLocaleString('en-US')} lines`);
  await app.screenshot('log-imported');
  await page.getByTestId('log-back-live').click();
  await expect.poll(() => banner.count()).toBe(0);
});

test('the charts draw messages, operations and the two latencies apart, convergence, and shade a period with faults', async () => {
  const { page, manager } = app;
  for (let index = 0; index < 40; index++) await manager.put(`key${index}`, `value${index}`);
  for (let index = 0; index < 40; index++) await manager.get(`key${index}`);
  await manager.setFaults({ loss: 0.2 });
  await new Promise((resolve) => setTimeout(resolve, 2500));
  await manager.setFaults({});
  await app.open('charts');
  for (const chart of ['messages', 'operations', 'coordinatorLatency', 'roundTrip', 'convergence']) {
    const panel = page.getByTestId(`chart-${chart}`);
    await panel.locator('canvas').first().waitFor();
    const box = await panel.locator('canvas').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(300);
  }
  // Legends carry the newest figures: some messages per second, operations, a latency.
  await expect.poll(async () => page.getByTestId('chart-messages').getByTestId('chart-legend-value').allTextContents(), { timeout: 10_000 }).toContainEqual(expect.stringMatching(/^[1-9]\d*\/s$/));
  const operations = await page.getByTestId('chart-operations').getByTestId('chart-legend-value').allTextContents();
  expect(operations.length).toBe(2);
  // The coordinators' own latency (the operations went through the manager, not this window).
  await expect.poll(async () => (await page.getByTestId('chart-coordinatorLatency').getByTestId('chart-legend-value').allTextContents())[0], { timeout: 10_000 }).toMatch(/^\d+\.\d ms$/);
  await expect.poll(async () => (await page.getByTestId('charts-fault-note').textContent()) ?? '', { timeout: 10_000 }).toMatch(/1 period with faults/);
  await app.screenshot('charts');
});

test('the page threw no errors', () => {
  expect(app.pageErrors).toEqual([]);
});
