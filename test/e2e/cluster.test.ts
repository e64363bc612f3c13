import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApp, type App } from './support/app.ts';

let app: App;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => app?.close());

test('an empty session says what to do, and Start starts five peers that all turn alive', async () => {
  const { page } = app;
  await page.getByTestId('cluster-empty').waitFor();
  await app.screenshot('cluster-empty');
  await page.getByTestId('start-cluster').click();
  const states = page.getByTestId('peer-state');
  await expect.poll(() => states.count(), { timeout: 30_000 }).toBe(5);
  await expect.poll(async () => (await states.allTextContents()).join(','), { timeout: 30_000 }).toBe('alive,alive,alive,alive,alive');
  expect(app.manager.runningPeers()).toHaveLength(5);
  await page.getByTestId('status-bar').getByText('5 / 5 peers live').waitFor();
  await app.screenshot('cluster-running');
});

test('Kill ends a peer process and the row says killed; Restart brings it back alive', async () => {
  const { page } = app;
  const victim = app.manager.peers()[1]!;
  const row = page.locator(`tr[data-peer="${victim.id}"]`);
  await row.getByRole('button', { name: 'Kill' }).click();
  await expect.poll(() => row.getByTestId('peer-state').textContent(), { timeout: 15_000 }).toBe('killed');
  expect(app.manager.peer(victim.id)?.state).toBe('killed');
  await app.screenshot('cluster-killed');
  await row.getByRole('button', { name: 'Restart' }).click();
  await expect.poll(() => row.getByTestId('peer-state').textContent(), { timeout: 30_000 }).toBe('alive');
});

test('the page threw no errors', () => {
  expect(app.pageErrors).toEqual([]);
});
