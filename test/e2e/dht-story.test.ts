/**
 * The spec's reference-ring story (specs/classroom-circular-dht.md) driven through the window in
 * Debian's Chromium against seven real DHT peers: choose Circular DHT with 1 s pings and start 7
 * (the ring 2, 4, 5, 8, 9, 14, 19 with its first successor arrows; the selected peer's other
 * links, everyone's on demand; to scale, labels apart); Quit 9 (8 and 5 print their lines;
 * the ring shows 8 → 14); Store 2067 at 8 (the route 8 → 14 → 19 animated, 19 holds 2067); add
 * Peer 15 through 4; Kill 14 (the ring repairs); put 4103.pdf in 8's folder and Request 4103 at 2
 * (received_4103.pdf, byte for byte). Screenshots: test-results/e2e/dht-*.png.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startApp, type App } from './support/app.ts';

let app: App;
/** At a 1 s interval a gone successor is declared within 1 + 3 × 1 s; leave room for a loaded machine. */
const REPAIR_MS = 30_000;

beforeAll(async () => {
  app = await startApp({ viewport: { width: 1500, height: 950 } });
});
afterAll(async () => app?.close());

const idOf = (identity: number): string => {
  const found = app.manager.peers().find((peer) => peer.identity === identity && peer.state === 'running');
  if (found === undefined) throw new Error(`no running Peer ${identity}`);
  return found.id;
};

/** `from → to` for every first-successor arrow the circle draws, sorted. */
async function arrows(page: Page, kind: 'first' | 'second'): Promise<string[]> {
  const found = await page.locator(`[data-testid="dht-circle"] [data-arrow="${kind}"]`).evaluateAll((paths) => paths.map((path) => `${path.getAttribute('data-from')}>${path.getAttribute('data-to')}`));
  return found.sort((a, b) => Number(a.split('>')[0]) - Number(b.split('>')[0]));
}

/** Console lines in the Log view that contain `text`, as the view shows them (peer and text). */
async function logLines(page: Page, text: string): Promise<string[]> {
  await app.open('log');
  await page.getByTestId('log-text').fill(text);
  await page.waitForTimeout(300);
  // Peer, kind and text of each line (the time left out), one space apart.
  return page.getByTestId('log-line').evaluateAll((lines) => lines.map((line) => [...line.querySelectorAll('.peer, .kind, .text')].map((span) => span.textContent?.trim()).join(' ')));
}

async function selectPeer(page: Page, identity: number): Promise<void> {
  await page.getByTestId('dht-peer-select').selectOption({ label: `Peer ${identity}` });
}

test('Circular DHT with 1 s pings: 7 peers start as the reference ring with its successor arrows', async () => {
  const { page } = app;
  await page.getByTestId('cluster-kind').selectOption('dht');
  await page.getByTestId('ping-interval').fill('1');
  expect(await page.locator('input[aria-label="Peers to start"]').inputValue()).toBe('7');
  await page.getByText("7 peers start the spec's reference ring 2, 4, 5, 8, 9, 14, 19").waitFor();
  await app.screenshot('dht-settings');
  await page.getByTestId('start-cluster').click();
  await expect.poll(() => app.manager.runningPeers().length, { timeout: 30_000 }).toBe(7);
  await expect.poll(() => page.getByTestId('peer-identity').allTextContents(), { timeout: 10_000 }).toEqual(['Peer 2', 'Peer 4', 'Peer 5', 'Peer 8', 'Peer 9', 'Peer 14', 'Peer 19']);
  expect(await page.locator('[data-action="stop"]').first().textContent()).toContain('Quit');
  await app.screenshot('dht-cluster');

  await app.open('ring');
  const circle = page.getByTestId('dht-circle');
  await expect.poll(() => circle.getAttribute('aria-label'), { timeout: 15_000 }).toBe('The circular DHT: 7 peers 2, 4, 5, 8, 9, 14, 19');
  await expect.poll(() => arrows(page, 'first'), { timeout: 15_000 }).toEqual(['2>4', '4>5', '5>8', '8>9', '9>14', '14>19', '19>2']);
  // Not a tangle: only the selected peer's second successor and predecessors (from the pings).
  expect(await arrows(page, 'second')).toEqual(['2>5']);
  await expect.poll(() => page.locator('[data-arrow="predecessor"]').count(), { timeout: 15_000 }).toBe(2);
  await app.screenshot('dht-ring-seven');
  await page.getByTestId('dht-to-scale').check();
  await app.screenshot('dht-ring-seven-to-scale');
  await page.getByTestId('dht-to-scale').uncheck();
  // Everyone's on demand.
  await page.getByTestId('dht-all-links').check();
  expect(await arrows(page, 'second')).toEqual(['2>5', '4>8', '5>9', '8>14', '9>19', '14>2', '19>4']);
  await expect.poll(() => page.locator('[data-arrow="predecessor"]').count(), { timeout: 15_000 }).toBe(14);
  await app.screenshot('dht-ring-seven-all-links');
  expect(app.pageErrors).toEqual([]);
});

test('Quit 9: 8 and 5 print their lines in the Log, and the ring shows 8 → 14', async () => {
  const { page } = app;
  await selectPeer(page, 9);
  await page.getByTestId('dht-quit').click();
  await expect.poll(() => arrows(page, 'first'), { timeout: 15_000 }).toEqual(['2>4', '4>5', '5>8', '8>14', '14>19', '19>2']);
  await page.locator('[data-gone="9"]').waitFor();
  await app.screenshot('dht-quit-9');
  await expect.poll(() => logLines(page, 'will depart'), { timeout: 10_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/Peer 8 console Peer 9 will depart from the network$/), expect.stringMatching(/Peer 5 console Peer 9 will depart from the network$/)]));
  const eight = await logLines(page, 'My new');
  expect(eight.filter((line) => line.includes('Peer 8 console'))).toEqual(expect.arrayContaining([expect.stringMatching(/My new first successor is Peer 14$/), expect.stringMatching(/My new second successor is Peer 19$/)]));
  await app.screenshot('dht-quit-9-log');
  await page.getByTestId('log-clear-filter').click();
  await app.open('ring');
});

test('Store 2067 at 8: the route 8 → 14 → 19 is animated, and 19 holds 2067', async () => {
  const { page } = app;
  await selectPeer(page, 8);
  // A name that is not four digits is refused in the window and never sent.
  await page.getByTestId('dht-file-name').fill('a912');
  await page.getByTestId('dht-store').click();
  await page.getByTestId('dht-file-problem').waitFor();
  await app.screenshot('dht-bad-name');
  await page.getByTestId('dht-file-name').fill('2067');
  await page.getByTestId('dht-store').click();
  // Mid-animation: some hops drawn, not yet all.
  await page.getByTestId('dht-route-hop').first().waitFor({ timeout: 10_000 });
  await app.screenshot('dht-store-animating');
  await page.locator('[data-testid="dht-route"][data-done="true"]').waitFor({ timeout: 15_000 });
  expect(await page.getByTestId('dht-route').getAttribute('data-route')).toBe('8,14,19');
  expect(await page.getByTestId('dht-route').textContent()).toMatch(/8 → 14 → 19\s*— 2 hops, stored at Peer 19/);
  expect(await page.getByTestId('dht-route-hop').count()).toBe(2);
  await page.locator('[data-testid="dht-file"][data-holder="19"][data-file="2067"]').waitFor({ timeout: 10_000 });
  await app.screenshot('dht-store-2067');
});

test('Peer 15 joins through 4: the join lines print and the ring has 14 → 15 → 19', async () => {
  const { page } = app;
  await app.open('cluster');
  await page.getByTestId('add-identity').fill('15');
  await page.getByTestId('add-via').selectOption({ label: 'Peer 4' });
  await page.getByTestId('add-dht-peer').click();
  await expect.poll(() => app.manager.runningPeers().length, { timeout: 30_000 }).toBe(7);
  await app.screenshot('dht-join-15-cluster');
  await expect.poll(() => logLines(page, 'Join request has been accepted'), { timeout: 15_000 }).toEqual([expect.stringMatching(/Peer 15 console Join request has been accepted$/)]);
  expect((await logLines(page, 'Join request forwarded')).length).toBeGreaterThanOrEqual(1);
  await app.screenshot('dht-join-15-log');
  await page.getByTestId('log-clear-filter').click();
  await app.open('ring');
  await expect.poll(() => arrows(page, 'first'), { timeout: 15_000 }).toEqual(['2>4', '4>5', '5>8', '8>14', '14>15', '15>19', '19>2']);
  await app.screenshot('dht-join-15');
});

test('Kill 14: after detection the ring repairs to 8 → 15', async () => {
  const { page } = app;
  await selectPeer(page, 14);
  await page.getByTestId('dht-kill').click();
  await page.locator('[data-gone="14"]').waitFor({ timeout: 10_000 });
  await page.getByTestId('dht-all-links').check();
  await expect.poll(() => arrows(page, 'first'), { timeout: REPAIR_MS }).toEqual(['2>4', '4>5', '5>8', '8>15', '15>19', '19>2']);
  await expect.poll(() => arrows(page, 'second'), { timeout: REPAIR_MS }).toEqual(['2>5', '4>8', '5>15', '8>19', '15>2', '19>4']);
  await app.screenshot('dht-kill-14');
  expect(await logLines(page, 'is no longer alive')).toEqual(expect.arrayContaining([expect.stringMatching(/Peer 8 console Peer 14 is no longer alive$/)]));
  await page.getByTestId('log-clear-filter').click();
  await app.open('ring');
});

test('Request 4103 at 2: 8 sends the 4103.pdf put in its folder and 2 saves received_4103.pdf byte for byte', async () => {
  const { page } = app;
  await selectPeer(page, 8);
  await page.getByTestId('dht-put-name').fill('4103.pdf');
  await page.getByTestId('dht-put').click();
  await page.locator('[data-testid="dht-folder-entry"][data-name="4103.pdf"]').waitFor({ timeout: 10_000 });
  await app.screenshot('dht-put-4103');
  await selectPeer(page, 2);
  await page.getByTestId('dht-file-name').fill('4103');
  await page.getByTestId('dht-request').click();
  await page.locator('[data-testid="dht-route"][data-done="true"]').waitFor({ timeout: 15_000 });
  expect(await page.getByTestId('dht-route').getAttribute('data-route')).toBe('2,4,5,8');
  const received = page.locator('[data-testid="dht-folder-entry"][data-name="received_4103.pdf"]');
  await received.waitFor({ timeout: 15_000 });
  await app.screenshot('dht-request-4103');
  const folder = app.manager.dhtPlaces.folder as string;
  const original = readFileSync(join(folder, 'peer-8', '4103.pdf'));
  const copy = readFileSync(join(folder, 'peer-2', 'received_4103.pdf'));
  expect(copy.length).toBe(original.length);
  expect(copy.equals(original)).toBe(true);
  expect(await received.getAttribute('data-bytes')).toBe(String(original.length));
  const inspection = await app.manager.dht.inspect(idOf(2));
  expect(inspection.folder.entries).toEqual([{ name: 'received_4103.pdf', bytes: original.length }]);
  expect(await logLines(page, 'File 4103 received')).toEqual([expect.stringMatching(/Peer 2 console File 4103 received$/)]);
  await app.screenshot('dht-request-4103-log');
  expect(app.pageErrors).toEqual([]);
  // No error notice on a DHT cluster: nothing called a key-value command.
  expect(await page.locator('.notice.error, [data-tone="error"]').count()).toBe(0);
});
