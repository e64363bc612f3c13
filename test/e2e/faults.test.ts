/**
 * Partition and heal from the Faults view against five real peers: {#1,#2} | {#3,#4,#5} drawn
 * by dragging peers between groups, seen in the membership matrix and in the manager's plan;
 * then Heal all, and the matrix converges again. Screenshots: test-results/e2e/faults-*.png.
 */
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import type { Page } from 'playwright-core';
import { isPartitioned } from '../../src/shared/protocol/faults.ts';
import { startApp, type App } from './support/app.ts';

let app: App;
let ids: string[];
beforeAll(async () => {
  app = await startApp();
  await app.page.getByTestId('start-cluster').click();
  await vi.waitFor(() => expect(app.manager.runningPeers()).toHaveLength(5), { timeout: 60_000, interval: 200 });
  ids = app.manager
    .peers()
    .sort((a, b) => a.number - b.number)
    .map((peer) => peer.id);
});
afterAll(async () => app?.close());

/** What `observer`'s row says about `subject`. */
async function cell(page: Page, observer: string, subject: string): Promise<string> {
  return page.$$eval(
    '[data-testid="membership-matrix"]',
    ([table], [row, column]) => {
      const headers = [...(table?.querySelectorAll('thead th.subject') ?? [])];
      const index = headers.findIndex((header) => header.getAttribute('data-subject') === column);
      const cells = table?.querySelector(`tbody tr[data-observer="${row}"]`)?.querySelectorAll('td.cell');
      return cells?.[index]?.getAttribute('data-state') ?? 'none';
    },
    [observer, subject] as const,
  );
}

async function everyCell(page: Page, predicate: (observer: number, subject: number, state: string) => boolean): Promise<boolean> {
  for (let observer = 0; observer < ids.length; observer++) {
    for (let subject = 0; subject < ids.length; subject++) {
      if (observer !== subject && !predicate(observer, subject, await cell(page, ids[observer]!, ids[subject]!))) return false;
    }
  }
  return true;
}

const minority = (index: number) => index < 2;

test('the five peers converge before any fault', async () => {
  await app.open('membership');
  await expect.poll(() => everyCell(app.page, (_o, _s, state) => state === 'alive'), { timeout: 45_000, interval: 300 }).toBe(true);
  await app.open('faults');
  await app.page.getByTestId('partition-groups').waitFor();
  expect(await app.page.getByTestId('heal-all').isDisabled()).toBe(true);
  await app.screenshot('faults-none');
});

test('dragging #1 and #2 into a group of their own, then Apply, partitions {1,2} | {3,4,5}', async () => {
  const { page } = app;
  // Picked up by its grip and label (the chip's right end is its group list).
  const grip = { sourcePosition: { x: 12, y: 10 } };
  await page.locator(`[data-testid="partition-peer"][data-peer="${ids[0]}"]`).dragTo(page.getByTestId('partition-new-group'), grip);
  await page.locator(`[data-testid="partition-peer"][data-peer="${ids[1]}"]`).dragTo(page.locator('[data-testid="partition-group"][data-group="1"]'), grip);
  const groups = await page.$$eval('[data-testid="partition-group"]', (boxes) => boxes.map((box) => [...box.querySelectorAll('[data-testid="partition-peer"]')].map((chip) => chip.getAttribute('data-peer'))));
  expect(groups).toEqual([ids.slice(2), ids.slice(0, 2)]);
  expect(await page.getByTestId('partition-pending').textContent()).toContain('not applied');
  // Nothing is cut until Apply.
  expect(app.manager.faults.partitions).toEqual([]);
  await app.screenshot('faults-drawn');

  await page.getByTestId('apply-partition').click();
  await expect.poll(() => app.manager.faults.partitions.length, { timeout: 10_000 }).toBe(1);
  const plan = app.manager.faults;
  for (const [from, fromIndex] of ids.map((id, index) => [id, index] as const)) {
    for (const [to, toIndex] of ids.map((id, index) => [id, index] as const)) {
      if (from !== to) expect(isPartitioned(plan, from, to), `${fromIndex + 1} → ${toIndex + 1}`).toBe(minority(fromIndex) !== minority(toIndex));
    }
  }
  await expect.poll(() => page.getByTestId('fault-plan').textContent()).toBe('partition #3,#4,#5 | #1,#2');
  expect(await page.locator('[data-testid="link-matrix"] button.cut').count()).toBe(12);
  await app.screenshot('faults-partitioned');
});

test('the matrix shows the cut: each side marks the other suspect or failed, and the rows disagree', async () => {
  const { page } = app;
  await app.open('membership');
  const acrossTheCut = (observer: number, subject: number, state: string) => (minority(observer) === minority(subject) ? state === 'alive' : state === 'suspect' || state === 'dead');
  await expect.poll(() => everyCell(page, acrossTheCut), { timeout: 45_000, interval: 300 }).toBe(true);
  await page.getByTestId('membership-faults').waitFor();
  expect(await page.getByTestId('membership-faults').textContent()).toContain('#3,#4,#5 | #1,#2');
  await expect.poll(() => page.getByTestId('convergence').getAttribute('data-kind')).toBe('diverged');
  // The minority's rows stand out: they disagree with the majority about everyone across the cut.
  const disagreeing = await page.$$eval('[data-testid="disagreeing-row"]', (rows) => rows.map((row) => row.getAttribute('data-observer')));
  expect(disagreeing).toEqual(expect.arrayContaining(ids.slice(0, 2)));
  await app.screenshot('faults-membership-partitioned');
});

test('Heal all removes every fault, and the matrix converges again', async () => {
  const { page } = app;
  await app.open('faults');
  await page.getByTestId('heal-all').click();
  await expect.poll(() => app.manager.faults, { timeout: 10_000 }).toEqual({ loss: 0, duplicate: 0, links: [], partitions: [] });
  await expect.poll(() => page.getByTestId('fault-plan-bar').textContent()).toContain('No faults');
  expect(await page.locator('[data-testid="link-matrix"] button.cut').count()).toBe(0);
  await app.screenshot('faults-healed');

  await app.open('membership');
  await expect.poll(() => everyCell(page, (_o, _s, state) => state === 'alive'), { timeout: 60_000, interval: 300 }).toBe(true);
  await expect.poll(() => page.getByTestId('convergence').getAttribute('data-kind'), { timeout: 10_000 }).toBe('converged');
  expect(await page.getByTestId('membership-faults').count()).toBe(0);
  await app.screenshot('faults-membership-healed');
});

test('a link of its own: #1 → #4 loses half its messages, one way, from the link matrix', async () => {
  const { page } = app;
  await app.open('faults');
  await page.locator(`[data-testid="link-matrix"] button[data-from="${ids[0]}"][data-to="${ids[3]}"]`).click();
  const editor = page.getByTestId('link-editor');
  await editor.getByText('its own loss').click();
  const loss = editor.locator('input[type="number"]').first();
  await loss.fill('50');
  await loss.press('Enter');
  await editor.getByText('both directions').click();
  await editor.getByTestId('apply-link').click();
  await expect.poll(() => app.manager.faults.links, { timeout: 10_000 }).toEqual([{ from: ids[0], to: ids[3], loss: 0.5 }]);
  await expect.poll(() => page.locator(`[data-testid="link-matrix"] button[data-from="${ids[0]}"][data-to="${ids[3]}"]`).textContent()).toBe('50%');
  expect(await page.getByTestId('fault-sentences').textContent()).toContain('Link #1 → #4 drops 50%');
  await app.screenshot('faults-link');
  await page.getByTestId('heal-all').click();
  await expect.poll(() => app.manager.faults.links, { timeout: 10_000 }).toEqual([]);
});

test('global loss and delay from the sliders reach the manager, and the plan reads in words', async () => {
  const { page } = app;
  const loss = page.getByTestId('global-loss').locator('input[type="number"]');
  await loss.fill('15');
  await loss.press('Enter');
  await expect.poll(() => app.manager.faults.loss, { timeout: 10_000 }).toBe(0.15);
  await page.getByTestId('global-delay').getByLabel('Delay kind').selectOption('uniform');
  await expect.poll(() => app.manager.faults.delay?.kind, { timeout: 10_000 }).toBe('uniform');
  await expect.poll(() => page.getByTestId('fault-sentences').textContent()).toContain('Every message is delayed 20-100 ms');
  expect(await page.getByTestId('fault-sentences').textContent()).toContain('Every link drops 15% of the messages');
  await app.screenshot('faults-lossy');
  await page.getByTestId('heal-all').click();
  await expect.poll(() => app.manager.faults.loss, { timeout: 10_000 }).toBe(0);
});

test('the page threw no errors', () => {
  expect(app.pageErrors).toEqual([]);
});
