/**
 * The window's cluster, with the `electron` module replaced by a fake: where peers and the
 * journal come from, and that closing the window stops every peer it started, once, within a
 * bounded wait; including real peer processes started through the IPC bridge.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { capabilityChannel } from '../../src/shared/api/bridge.ts';
import type { PeerSummaryWire } from '../../src/shared/api/cluster-api.ts';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { DEFAULT_PEER_ENTRY } from '../../src/main/cluster/spawn.ts';
import { app, FakeBrowserWindow, ipcMain, removeFakeUserData, resetFakeElectron } from '../support/fake-electron.ts';

vi.mock('electron', async () => (await import('../support/fake-electron.ts')).electronModule);

const { builtPeerEntry, createAppCluster, enableStopPeersOnQuit, sessionJournalPath } = await import('../../src/main/electron/cluster.ts');
const { enableClusterIpc } = await import('../../src/main/electron/ipc.ts');
const { rendererLocation } = await import('../../src/main/electron/renderer-location.ts');

/** Managers a test made: shut down for real afterwards, so none keeps its exit hook. */
const managers: ClusterManager[] = [];
function newManager(): ClusterManager {
  const manager = new ClusterManager();
  managers.push(manager);
  return manager;
}

beforeEach(() => resetFakeElectron());
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(managers.splice(0).map((manager) => manager.shutdown()));
});
afterAll(() => removeFakeUserData());

const noSignals = { on: () => undefined } as unknown as NodeJS.EventEmitter;

describe("the window's cluster", () => {
  it('runs peers from the built entry, unpacked from app.asar once packaged', () => {
    expect(builtPeerEntry('/work/ringside/out/main')).toBe('/work/ringside/out/main/peer.js');
    expect(builtPeerEntry('/opt/Ringside/resources/app.asar/out/main')).toBe('/opt/Ringside/resources/app.asar.unpacked/out/main/peer.js');
  });

  it("records each session's journal to its own file under the user's data folder", () => {
    expect(sessionJournalPath('/home/ada/.config/Ringside', new Date('2026-01-02T03:04:05.678Z'))).toBe('/home/ada/.config/Ringside/sessions/2026-01-02T03-04-05-678Z.ndjson');
    const { manager, startedAt } = createAppCluster({ peerEntry: '/nowhere/peer.js' });
    expect(manager.journal.path?.startsWith(join(app.userData, 'sessions'))).toBe(true);
    expect(existsSync(manager.journal.path as string)).toBe(true);
    expect(Math.abs(startedAt - Date.now())).toBeLessThan(5_000);
    expect(manager.peers()).toEqual([]);
    return manager.shutdown();
  });

  it('still works, unrecorded, when the data folder cannot be written', async () => {
    const blocked = join(app.userData, 'blocked');
    writeFileSync(blocked, 'a file where a folder should be');
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { manager } = createAppCluster({ peerEntry: '/nowhere/peer.js', userData: blocked });
    expect(manager.journal.path).toBeUndefined();
    expect(error).toHaveBeenCalledWith(expect.stringContaining('the session is not recorded on disk'));
    error.mockRestore();
    await manager.shutdown();
  });
});

describe('closing the window', () => {
  it('quits only after the manager has shut every peer down, asking it once', async () => {
    const manager = newManager();
    let finish = (): void => undefined;
    const shutdown = vi.spyOn(manager, 'shutdown').mockImplementation(() => new Promise<void>((resolve) => (finish = resolve)));
    enableStopPeersOnQuit(manager, { signals: noSignals });
    new FakeBrowserWindow({}).close();
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(shutdown.mock.calls[0]?.[0]).toMatchObject({ graceful: true });
    expect(app.quitted).toBe(false);
    app.quit();
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(app.quitted).toBe(false);
    finish();
    await vi.waitFor(() => expect(app.quitted).toBe(true));
    expect(shutdown).toHaveBeenCalledTimes(1);
  });

  it('quits anyway when the peers take longer than the bounded wait', async () => {
    const manager = newManager();
    vi.spyOn(manager, 'shutdown').mockImplementation(() => new Promise<void>(() => undefined));
    enableStopPeersOnQuit(manager, { waitMs: 100, signals: noSignals });
    const started = Date.now();
    new FakeBrowserWindow({}).close();
    await vi.waitFor(() => expect(app.quitted).toBe(true));
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('quits on Ctrl-C or SIGTERM the same way', async () => {
    const manager = newManager();
    const shutdown = vi.spyOn(manager, 'shutdown');
    const signals = new (await import('node:events')).EventEmitter();
    enableStopPeersOnQuit(manager, { signals });
    signals.emit('SIGTERM');
    await vi.waitFor(() => expect(app.quitted).toBe(true));
    expect(shutdown).toHaveBeenCalledTimes(1);
  });

  it('stops the real peer processes the window started', async () => {
    const context = createAppCluster({ peerEntry: DEFAULT_PEER_ENTRY });
    const location = rendererLocation('/opt/Ringside/resources/app.asar/out/main', {});
    enableStopPeersOnQuit(context.manager, { signals: noSignals });
    enableClusterIpc(context, location);
    const window = new FakeBrowserWindow({});
    await window.loadFile(location.indexFile);
    const started = (await ipcMain.invoke(capabilityChannel('startCluster'), window.webContents.ipcEvent(), 2, { tickMs: 50 })) as PeerSummaryWire[];
    expect(started.map((peer) => peer.state)).toEqual(['running', 'running']);
    const pids = started.map((peer) => peer.pid as number);
    expect(pids.every((pid) => isAlive(pid))).toBe(true);

    window.close();
    await vi.waitFor(() => expect(app.quitted).toBe(true), { timeout: 10_000 });
    expect(context.manager.peers().map((peer) => peer.state)).toEqual(['left', 'left']);
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
  }, 30_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
