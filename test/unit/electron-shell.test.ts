/**
 * The shell as `src/main/index.ts` composes it, with the `electron` module replaced by a fake:
 * once the app is ready there is one secure window on the built page, the cluster API answers it
 * over IPC with the session recorded under the user's data folder, and closing the window shuts
 * the cluster down before the app quits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CAPABILITY_NAMES, capabilityChannel } from '../../src/shared/api/bridge.ts';
import type { SessionInfo } from '../../src/shared/api/cluster-api.ts';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { app, FakeBrowserWindow, fakeEvent, ipcMain, removeFakeUserData, resetFakeElectron, session } from '../support/fake-electron.ts';

vi.mock('electron', async () => (await import('../support/fake-electron.ts')).electronModule);

const shutdown = vi.spyOn(ClusterManager.prototype, 'shutdown');
const signalsBefore = process.listenerCount('SIGTERM');
let window: FakeBrowserWindow;

beforeAll(async () => {
  resetFakeElectron();
  await import('../../src/main/index.ts');
  await vi.waitFor(() => expect(FakeBrowserWindow.windows).toHaveLength(1));
  window = FakeBrowserWindow.windows[0] as FakeBrowserWindow;
});
afterAll(() => {
  // The shell listens for Ctrl-C and SIGTERM on this (test) process: take those listeners back.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) for (const listener of process.listeners(signal).slice(signalsBefore)) process.off(signal, listener);
  removeFakeUserData();
});

describe('the shell', () => {
  it('opens one sandboxed window on the built page, with the built preload', () => {
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, preload: resolve('src/preload/index.cjs') });
    expect(window.loaded).toEqual({ file: resolve('src/renderer/index.html') });
  });

  it("guards the window's page and the session", () => {
    const navigation = fakeEvent();
    window.webContents.emit('will-navigate', navigation, 'https://example.com/');
    expect(navigation.defaultPrevented).toBe(true);
    expect(window.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    const callback = vi.fn();
    session.defaultSession.permissionRequestHandler?.({}, 'media', callback);
    expect(callback).toHaveBeenCalledWith(false);
  });

  it("answers the window's calls, recording the session under the user's data folder, with no peer started", async () => {
    expect([...ipcMain.handlers.keys()]).toEqual(expect.arrayContaining(CAPABILITY_NAMES.map((name) => capabilityChannel(name))));
    const info = (await ipcMain.invoke(capabilityChannel('session'), window.webContents.ipcEvent())) as SessionInfo;
    expect(info.peers).toEqual([]);
    expect(info.journal.path?.startsWith(join(app.userData, 'sessions'))).toBe(true);
  });

  it('brings its window forward when the app is launched again', () => {
    app.emit('second-instance');
    expect(window.focused).toBe(true);
  });

  it('shuts the cluster down when the window closes, then quits', async () => {
    expect(shutdown).not.toHaveBeenCalled();
    window.close();
    expect(shutdown).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(app.quitted).toBe(true));
  });
});

describe('the electron module', () => {
  it('is imported only by the shell (src/main/index.ts, src/main/electron) and the preload', () => {
    const importers = readdirSync('src', { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.(ts|vue)$/.test(file))
      .map((file) => join('src', file))
      .filter((file) => /from ['"]electron['"]|require\(['"]electron['"]\)/.test(readFileSync(file, 'utf8')))
      .map((file) => relative('src', file));
    expect(importers.length).toBeGreaterThan(5);
    expect(importers.filter((file) => !(file === 'main/index.ts' || file.startsWith('main/electron/') || file === 'preload/index.ts'))).toEqual([]);
  });
});
