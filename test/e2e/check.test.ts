/**
 * The Check view in Debian's Chromium, against the `ringside serve` API: a short simulated check
 * with the defaults passes and shows its fault schedule; the same check with R = 1, W = 1 (R + W
 * ≤ N) under partitions fails with a stale read, explained by a sentence and a timeline with the
 * partition shaded. Screenshots: test-results/e2e/check-*.png.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type App } from './support/app.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => app?.close());

test('a short simulated check passes, with its mode and fault schedule (the Check view is on key 0)', async () => {
  const { page } = app;
  await page.keyboard.press('0');
  await page.getByTestId('check-form').waitFor();
  expect(await page.getByTestId('check-simulated').isChecked()).toBe(true);
  await page.getByTestId('check-durationSeconds').fill('10');
  await app.screenshot('check-form');
  await page.getByTestId('check-start').click();
  await expect.poll(() => page.getByTestId('check-verdict').textContent(), { timeout: 30_000 }).toBe('PASSED');
  expect(await page.getByTestId('check-verdict-sentence').textContent()).toMatch(/^No anomaly that strict quorums rule out: simulated run, seed 1, [\d,]+ operations/);
  expect(await page.getByTestId('check-mode').textContent()).toMatch(/^Mode: Strict quorums \(R = 2, W = 2/);
  expect(await page.locator('[data-testid="check-faults"] li').allTextContents()).toEqual(['5.0-10.0 s: crash peer 3, restart it at the end (its store kept)']);
  expect(await page.getByTestId('check-replay').textContent()).toBe('ringside check --sim --seed 1 --duration 10');
  expect(await page.getByTestId('check-anomaly').count()).toBe(0);
  await app.screenshot('check-passed');
});

test('with R = 1 and W = 1 under partitions it fails, with a stale read explained on a timeline', async () => {
  const { page } = app;
  await page.getByTestId('check-readQuorum').fill('1');
  await page.getByTestId('check-writeQuorum').fill('1');
  await page.getByTestId('check-quorum-note').getByText('R + W ≤ N').waitFor();
  for (const kind of ['kill', 'pause', 'loss']) await page.getByTestId(`check-nemesis-${kind}`).uncheck();
  await page.getByTestId('check-start').click();
  await expect.poll(() => page.getByTestId('check-verdict').textContent(), { timeout: 30_000 }).toBe('FAILED');
  expect(await page.locator('[data-testid="check-faults"] li').allTextContents()).toEqual([expect.stringMatching(/^5\.0-10\.0 s: .*partition/)]);
  const stale = page.locator('[data-testid="check-anomaly"][data-kind="stale-read"]').first();
  expect(await stale.getByTestId('check-anomaly-sentence').textContent()).toMatch(/^Client \d+'s read of check-\d+ began at [\d.]+ s and returned .+, from client \d+'s write acknowledged at/);
  const timeline = stale.getByTestId('check-timeline');
  expect(await timeline.getByTestId('timeline-row').count()).toBeGreaterThanOrEqual(2);
  expect(await timeline.getByTestId('timeline-bar').count()).toBeGreaterThanOrEqual(3);
  // The partition was on when the read ran: shaded behind it, with what broke on hover.
  expect(await timeline.getByTestId('timeline-fault').count()).toBe(1);
  expect(await timeline.locator('[data-testid="timeline-fault"] title').textContent()).toMatch(/^5\.0-10\.0 s: .*partition/);
  expect(await page.getByTestId('check-replay').textContent()).toBe('ringside check --sim --seed 1 --duration 10 --nemesis partition --read-quorum 1 --write-quorum 1');
  await stale.scrollIntoViewIfNeeded();
  await app.screenshot('check-failed');

  // The history downloads, made in the window.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-history').click()]);
  expect(download.suggestedFilename()).toBe('ringside-check-sim-seed-1-history.json');
});

test('the page threw no errors', () => {
  expect(app.pageErrors).toEqual([]);
});
