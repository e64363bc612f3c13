/**
 * The membership matrix against five real peers: empty, converging as they start, and every
 * surviving row marking a killed peer failed. Screenshots: test-results/e2e/membership-*.png.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { startApp, type App } from './support/app.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => app?.close());

/** Each observing row's cell states, by observer id. */
async function matrixStates(page: Page): Promise<Record<string, string[]>> {
  return page.$$eval('[data-testid="membership-matrix"] tbody tr', (rows) =>
    Object.fromEntries(
      rows
        .filter((row) => row.querySelector('td.cell') !== null)
        .map((row) => [row.getAttribute('data-observer') ?? '', [...row.querySelectorAll('td.cell')].map((cell) => cell.getAttribute('data-state') ?? '')]),
    ),
  );
}

/** The state every observing row holds about `subject`'s column (`mixed` when they differ). */
async function columnState(page: Page, subject: string): Promise<string> {
  return page.$$eval(
    '[data-testid="membership-matrix"]',
    ([table], id) => {
      const headers = [...(table?.querySelectorAll('thead th.subject') ?? [])];
      const index = headers.findIndex((header) => header.getAttribute('data-subject') === id);
      if (index < 0) return 'no column';
      const states = new Set(
        [...(table?.querySelectorAll('tbody tr') ?? [])]
          .filter((row) => row.querySelector('td.cell') !== null && row.getAttribute('data-observer') !== id)
          .map((row) => row.querySelectorAll('td.cell')[index]?.getAttribute('data-state')),
      );
      return states.size === 1 ? String([...states][0]) : 'mixed';
    },
    subject,
  );
}

test('with no peer running, the view says what to do', async () => {
  await app.open('membership');
  await app.page.getByTestId('membership-empty').waitFor();
  await app.screenshot('membership-empty');
});

test('five peers started from the window converge: every row counts every peer alive', async () => {
  const { page } = app;
  await page.getByTestId('start-cluster').click();
  await expect
    .poll(async () => {
      const states = Object.values(await matrixStates(page));
      return states.length === 5 && states.every((row) => row.length === 5 && row.every((state) => state === 'alive'));
    }, { timeout: 45_000, interval: 250 })
    .toBe(true);
  await expect.poll(() => page.getByTestId('convergence').getAttribute('data-kind'), { timeout: 10_000 }).toBe('converged');
  expect(await page.getByTestId('convergence').textContent()).toContain('5 peers agree: 5 alive');
  // The joins were seen in the stream: the last one's spread time is known.
  await expect.poll(() => page.getByTestId('last-spread').textContent(), { timeout: 10_000 }).toMatch(/\d+(\.\d+)? (ms|s)/);
  expect(await page.getByTestId('disagreeing-row').count()).toBe(0);
  await app.screenshot('membership-converged');
});

test('a killed peer is marked failed by every surviving row, and the spread time is shown', async () => {
  const { page } = app;
  const victim = app.manager.peers().find((peer) => peer.number === 3)!;
  await app.manager.kill(victim.id);
  // The survivors first suspect it (some rows disagree for a moment), then declare it failed.
  await expect.poll(() => columnState(page, victim.id), { timeout: 30_000, interval: 200 }).not.toBe('alive');
  await app.screenshot('membership-suspecting');
  await expect.poll(() => columnState(page, victim.id), { timeout: 30_000, interval: 200 }).toBe('dead');
  const rows = await matrixStates(page);
  expect(Object.keys(rows).sort()).toEqual(
    app.manager
      .runningPeers()
      .map((peer) => peer.id)
      .sort(),
  );
  await expect.poll(() => page.locator(`tr[data-observer="${victim.id}"]`).textContent()).toContain('killed');
  await expect.poll(() => page.getByTestId('convergence').getAttribute('data-kind'), { timeout: 15_000 }).toBe('converged');
  await expect.poll(() => page.getByTestId('last-spread').textContent(), { timeout: 15_000 }).toContain('#3 failed');
  await page.hover(`[data-testid="membership-matrix"] tbody tr[data-observer="${app.manager.runningPeers()[0]!.id}"] td.s-dead`);
  expect(await page.getByTestId('matrix-hover').textContent()).toMatch(/about #3: failed \(dead\) · incarnation \d+ · since tick \d+/);
  await app.screenshot('membership-killed');
});

test('thirty peers stay readable: compact cells, one row and one column each', async () => {
  const { page } = app;
  await page.getByTestId('stop-cluster').click();
  await expect.poll(() => app.manager.runningPeers().length, { timeout: 30_000 }).toBe(0);
  await page.getByLabel('Peers to start').fill('30');
  await page.getByTestId('start-cluster').click();
  await expect
    .poll(async () => {
      const states = Object.values(await matrixStates(page));
      return states.length === 30 && states.every((row) => row.filter((state) => state === 'alive').length === 30);
    }, { timeout: 110_000, interval: 500 })
    .toBe(true);
  const box = await page.getByTestId('membership-matrix').boundingBox();
  // Thirty columns fit the window without scrolling sideways.
  expect(box!.width).toBeLessThan(900);
  await app.screenshot('membership-thirty');
}, 180_000);

test('the page threw no errors', () => {
  expect(app.pageErrors).toEqual([]);
});
