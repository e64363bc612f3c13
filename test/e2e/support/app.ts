/**
 * The window as a user meets it in a browser: a cluster manager and the web server of
 * `ringside serve` in this process, the built window, and Debian's Chromium driven by
 * Playwright. Every test saves screenshots under test-results/e2e/ (not committed): look at them.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ClusterManager, type ClusterOptions } from '../../../src/main/cluster/manager.ts';
import { ApiServer } from '../../../src/main/server/server.ts';

export const CHROMIUM_PATH = process.env['RINGSIDE_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve('test-results/e2e');
/** Chromium's flags on a closed network (see the env notes): no background connections. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface App {
  readonly manager: ClusterManager;
  readonly server: ApiServer;
  readonly browser: Browser;
  readonly page: Page;
  /** Errors the page threw or logged: a test ends by checking there were none. */
  readonly pageErrors: string[];
  /** Saves a screenshot of the whole window as test-results/e2e/NAME.png. */
  screenshot(name: string): Promise<string>;
  /** Opens a view by its sidebar button. */
  open(view: string): Promise<void>;
  close(): Promise<void>;
}

export async function startApp(options: { cluster?: ClusterOptions; viewport?: { width: number; height: number }; downloads?: boolean } = {}): Promise<App> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install chromium) or set RINGSIDE_CHROMIUM`);
  const manager = new ClusterManager({ tickMs: 50, ...options.cluster });
  const server = new ApiServer({ manager, startedAt: Date.now() }, { port: 0, rendererRoot: inject('rendererRoot') });
  const url = await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 }, acceptDownloads: options.downloads ?? true });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.goto(url);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    manager,
    server,
    browser,
    page,
    pageErrors,
    async screenshot(name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path });
      return path;
    },
    async open(view) {
      await page.click(`nav [data-view="${view}"]`);
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
      await manager.shutdown({ graceful: false });
    },
  };
}
