/**
 * The cluster API over IPC, with the `electron` module replaced by a fake and a real cluster
 * manager that starts no peer: one handler per capability, every sender checked, every payload
 * parsed with the shared schema, the export through the save dialog, and the event stream.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CAPABILITY_NAMES, capabilityChannel, EVENTS_CHANNEL } from '../../src/shared/api/bridge.ts';
import type { ApiEvents } from '../../src/shared/api/cluster-api.ts';
import { NO_FAULTS, type FaultPlan } from '../../src/shared/protocol/faults.ts';
import { EventFeed } from '../../src/main/cluster/feed.ts';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { dialog, FakeBrowserWindow, FakeWebFrame, ipcMain, removeFakeUserData, resetFakeElectron } from '../support/fake-electron.ts';

vi.mock('electron', async () => (await import('../support/fake-electron.ts')).electronModule);

const { enableClusterIpc } = await import('../../src/main/electron/ipc.ts');
const { rendererLocation } = await import('../../src/main/electron/renderer-location.ts');

const location = rendererLocation('/opt/Ringside/resources/app.asar/out/main', {});
const folder = mkdtempSync(join(tmpdir(), 'ringside-ipc-'));
const PLAN: FaultPlan = { loss: 0.25, duplicate: 0, links: [], partitions: [{ sources: ['127.0.0.1:7001'], targets: ['127.0.0.1:7002'], oneWay: true }] };

let manager: ClusterManager;
let window: FakeBrowserWindow;

beforeEach(async () => {
  resetFakeElectron();
  manager = new ClusterManager({ journalPath: join(mkdtempSync(join(folder, 'session-')), 'session.ndjson') });
  enableClusterIpc({ manager, startedAt: 1_700_000_000_000 }, location);
  window = new FakeBrowserWindow({});
  await window.loadFile(location.indexFile);
});
afterEach(() => manager.shutdown());
afterAll(() => {
  removeFakeUserData();
  rmSync(folder, { recursive: true, force: true });
});

/** A call from the app's own page, as the preload makes it. */
function call(name: string, ...args: unknown[]): Promise<unknown> {
  return ipcMain.invoke(capabilityChannel(name as never), window.webContents.ipcEvent(), ...args);
}

describe('the IPC handlers', () => {
  it('are one per capability, plus the journal export, each on its own channel', () => {
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...CAPABILITY_NAMES, 'exportJournal'].map((name) => `cluster:${name}`).sort());
    expect(ipcMain.listenerCount(EVENTS_CHANNEL)).toBe(1);
  });

  it('carry a call from the page to the dispatcher and back', async () => {
    const session = (await call('session')) as { api: number; protocol: string; tickMs: number; startedAt: number; peers: unknown[]; journal: { path?: string } };
    expect(session).toMatchObject({ api: 1, protocol: 'swim', tickMs: 100, startedAt: 1_700_000_000_000, peers: [] });
    expect(session.journal.path).toBe(manager.journal.path);
    expect(await call('getFaults')).toEqual(NO_FAULTS);
    expect(await call('setFaults', PLAN)).toEqual(PLAN);
    expect(await call('getFaults')).toEqual(PLAN);
    expect(manager.faults).toEqual(PLAN);
  });

  it("reject the dispatcher's errors with its message", async () => {
    await expect(call('killPeer', '127.0.0.1:7001')).rejects.toThrow('no peer 127.0.0.1:7001 in this session');
  });

  it('refuse a call from a page that is not the app', async () => {
    const foreign = new FakeBrowserWindow({});
    await foreign.loadURL('https://evil.example/');
    await expect(ipcMain.invoke(capabilityChannel('setFaults'), foreign.webContents.ipcEvent(), PLAN)).rejects.toThrow(
      "setFaults: refused: https://evil.example/ is not Ringside's own page",
    );
    await expect(ipcMain.invoke(capabilityChannel('session'), window.webContents.ipcEvent(new FakeWebFrame('file:///tmp/index.html')))).rejects.toThrow('refused');
    expect(manager.faults).toEqual(NO_FAULTS);
  });

  it('refuse a call from a frame inside the page, or from a page that is gone', async () => {
    const top = new FakeWebFrame(window.webContents.url);
    const inner = new FakeWebFrame(window.webContents.url, top);
    await expect(ipcMain.invoke(capabilityChannel('setFaults'), window.webContents.ipcEvent(inner), PLAN)).rejects.toThrow('setFaults: refused: a call from a frame inside the page');
    await expect(ipcMain.invoke(capabilityChannel('setFaults'), window.webContents.ipcEvent(null), PLAN)).rejects.toThrow('setFaults: refused: the calling page is gone');
    expect(manager.faults).toEqual(NO_FAULTS);
  });

  it('refuse a malformed payload, saying what is wrong', async () => {
    await expect(call('killPeer', 42)).rejects.toThrow(/^killPeer: malformed request \(peer: .*expected string, received number\)$/);
    await expect(call('startCluster', 0)).rejects.toThrow(/^startCluster: malformed request \(peers: .*>=1/);
    await expect(call('startCluster', 3, { protocol: 'raft' })).rejects.toThrow(/^startCluster: malformed request \(protocol: /);
    await expect(call('setFaults', { loss: 2 })).rejects.toThrow(/^setFaults: malformed request \(plan\.loss: /);
    await expect(call('runKv', null)).rejects.toThrow('runKv: malformed arguments');
    await expect(call('runKv', { op: 'put', key: 'k', value: 7 })).rejects.toThrow(/^runKv: malformed request \(value: /);
    expect(manager.faults).toEqual(NO_FAULTS);
  });
});

describe('the journal export', () => {
  it('writes the export where the save dialog says, starting from its default name', async () => {
    const target = join(folder, 'dbg.log');
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: target });
    await call('setFaults', PLAN);
    expect(await call('exportJournal', 'dbg')).toEqual({ saved: target });
    expect(readFileSync(target, 'utf8')).toBe(manager.journal.export('dbg'));
    const text = join(folder, 'session.txt');
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: text });
    expect(await call('exportJournal', 'text')).toEqual({ saved: text });
    expect(readFileSync(text, 'utf8')).toContain('loss');
    const [owner, options] = dialog.showSaveDialog.mock.calls[0] as [unknown, { defaultPath: string }];
    expect(owner).toBe(window);
    expect(options.defaultPath).toBe('dbg.log');
    // The next save starts in the folder of the last one.
    expect((dialog.showSaveDialog.mock.calls[1]?.[1] as { defaultPath: string }).defaultPath).toBe(join(folder, 'ringside-session.txt'));
  });

  it('reports a cancelled dialog and writes nothing', async () => {
    dialog.showSaveDialog.mockResolvedValue({ canceled: true, filePath: '' });
    expect(await call('exportJournal', 'ndjson')).toEqual({ cancelled: true });
    expect(existsSync(join(folder, 'ringside-session.ndjson'))).toBe(false);
  });

  it('refuses an unknown format before any dialog opens', async () => {
    await expect(call('exportJournal', 'pdf')).rejects.toThrow('exportJournal: the format must be one of ndjson, dbg, text, shiviz (got "pdf")');
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
  });

  it('refuses a page that is not the app', async () => {
    const foreign = new FakeBrowserWindow({});
    await foreign.loadURL('https://evil.example/');
    await expect(ipcMain.invoke(capabilityChannel('exportJournal'), foreign.webContents.ipcEvent(), 'ndjson')).rejects.toThrow('refused');
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
  });

  it('says why a file could not be written', async () => {
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: join(folder, 'no-such-folder', 'dbg.log') });
    await expect(call('exportJournal', 'dbg')).rejects.toThrow(/^exportJournal: cannot save the file \(ENOENT/);
  });
});

describe('the event stream', () => {
  const batches = (): ApiEvents[] => window.webContents.sent.filter((message) => message.channel === EVENTS_CHANNEL).map((message) => message.args[0] as ApiEvents);
  const subscribe = (request: string, from = window.webContents.ipcEvent()): void => void ipcMain.emit(EVENTS_CHANNEL, from, request);

  it('sends a subscribed page the peers, then the journal as it grows, in batches', async () => {
    subscribe('subscribe');
    await vi.waitFor(() => expect(batches()).toHaveLength(1));
    expect(batches()[0]).toEqual({ t: 'events', entries: [], peers: [] });
    await call('setFaults', PLAN);
    await call('setFaults', NO_FAULTS);
    await vi.waitFor(() => expect(batches().flatMap((batch) => batch.entries)).toHaveLength(2));
    expect(batches().flatMap((batch) => batch.entries.map((entry) => entry.event.kind))).toEqual(['fault.changed', 'fault.changed']);
  });

  it('stops when the page unsubscribes', async () => {
    subscribe('subscribe');
    await vi.waitFor(() => expect(batches()).toHaveLength(1));
    subscribe('unsubscribe');
    await call('setFaults', PLAN);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(batches()).toHaveLength(1);
  });

  it('keeps one feed per page: subscribing again replaces it, so no entry arrives twice', async () => {
    subscribe('subscribe');
    subscribe('subscribe');
    await call('setFaults', PLAN);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(batches().flatMap((batch) => batch.entries)).toHaveLength(1);
  });

  it('ends when the window closes', async () => {
    subscribe('subscribe');
    await vi.waitFor(() => expect(batches()).toHaveLength(1));
    const close = vi.spyOn(EventFeed.prototype, 'close');
    window.close();
    expect(close).toHaveBeenCalledTimes(1);
    close.mockRestore();
    // A destroyed page cannot be sent to (the fake throws, as Electron does); nothing must try.
    await call('setFaults', PLAN).catch(() => undefined);
    await manager.setFaults(PLAN);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(batches()).toHaveLength(1);
  });

  it('sends nothing to a page that is not the app', async () => {
    const foreign = new FakeBrowserWindow({});
    await foreign.loadURL('https://evil.example/');
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    subscribe('subscribe', foreign.webContents.ipcEvent());
    await manager.setFaults(PLAN);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(foreign.webContents.sent).toEqual([]);
    expect(error).toHaveBeenCalledWith(expect.stringContaining("onEvents: refused: https://evil.example/ is not Ringside's own page"));
    error.mockRestore();
  });
});
