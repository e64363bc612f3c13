// `ringside open --check`: what CI runs through `npm start` (RINGSIDE_CHECK=1): it serves the
// window on a cluster ready to start, checks that the page, its script and the API answer, and
// stops. And a check that fails says what did not answer.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/io.ts';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function renderer(script: string | undefined): string {
  const folder = mkdtempSync(join(tmpdir(), 'ringside-open-test-'));
  folders.push(folder);
  const src = script === undefined ? '' : `<script type="module" crossorigin src="./assets/index.js"></script>`;
  writeFileSync(join(folder, 'index.html'), `<!doctype html><title>Ringside</title>${src}<div id="app"></div>`);
  if (script !== undefined) {
    mkdirSync(join(folder, 'assets'));
    writeFileSync(join(folder, 'assets', 'index.js'), script);
  }
  return folder;
}

function capture(): CliIo & { text: () => string } {
  let text = '';
  return { out: (chunk) => (text += chunk), err: (chunk) => (text += chunk), interactive: false, text: () => text };
}

describe('ringside open --check', () => {
  it('serves the window on a cluster ready to start, checks that it answers, and stops', async () => {
    const io = capture();
    const status = await main(['open', '--check', '--renderer', renderer('console.log("window")')], io);
    expect(io.text()).toMatch(/the window is at http:\/\/127\.0\.0\.1:\d+\/\?token=\S+ \(a cluster ready to start/);
    expect(io.text()).toContain('check passed');
    expect(status).toBe(0);
  });

  it('fails with one line when the page names no script', async () => {
    const io = capture();
    const status = await main(['open', '--check', '--renderer', renderer(undefined)], io);
    expect(io.text()).toContain('check failed: the page names no script');
    expect(status).toBe(1);
  });

  it('refuses a renderer folder with no page', async () => {
    const io = capture();
    const empty = mkdtempSync(join(tmpdir(), 'ringside-open-test-'));
    folders.push(empty);
    expect(await main(['open', '--check', '--renderer', empty], io)).toBe(2);
    expect(io.text()).toContain('holds no index.html');
  });
});
