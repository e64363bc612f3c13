/**
 * The preload's bridge (`window.ringside`), with the `electron` module replaced by a fake: exactly
 * one function per capability and nothing generic, errors from the main process as real Errors
 * with their own message, and a subscription that unsubscribes.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CAPABILITY_NAMES, EVENTS_CHANNEL, type RingsideBridge } from '../../src/shared/api/bridge.ts';
import type { ApiEvents } from '../../src/shared/api/cluster-api.ts';
import { exposed, ipcRenderer } from '../support/fake-electron.ts';

vi.mock('electron', async () => (await import('../support/fake-electron.ts')).electronModule);

let bridge: RingsideBridge;
beforeAll(async () => {
  await import('../../src/preload/index.ts');
  bridge = exposed['ringside'] as RingsideBridge;
});
beforeEach(() => {
  ipcRenderer.invoke.mockReset();
  ipcRenderer.send.mockReset();
});

const BATCH: ApiEvents = { t: 'events', entries: [], peers: [] };

describe('the bridge', () => {
  it('exposes exactly the capabilities, the journal export and the event subscription', () => {
    expect(Object.keys(bridge).sort()).toEqual([...CAPABILITY_NAMES, 'exportJournal', 'onEvents'].sort());
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
  });

  it('calls each capability on its own channel with its own arguments', async () => {
    for (const name of CAPABILITY_NAMES) {
      ipcRenderer.invoke.mockResolvedValueOnce({ answer: name });
      const fn = bridge[name] as (...args: unknown[]) => Promise<unknown>;
      expect(await fn('a', 2)).toEqual({ answer: name });
      expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(`cluster:${name}`, 'a', 2);
    }
    ipcRenderer.invoke.mockResolvedValueOnce({ saved: '/tmp/dbg.log' });
    expect(await bridge.exportJournal('dbg')).toEqual({ saved: '/tmp/dbg.log' });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith('cluster:exportJournal', 'dbg');
  });

  it("rejects with the main process's own message, without Electron's wrapping", async () => {
    ipcRenderer.invoke.mockRejectedValueOnce(new Error("Error invoking remote method 'cluster:killPeer': Error: killPeer: malformed request (peer: expected string)"));
    const malformed = await bridge.killPeer(42 as never).catch((error: unknown) => error);
    expect(malformed).toBeInstanceOf(Error);
    expect((malformed as Error).message).toBe('killPeer: malformed request (peer: expected string)');

    ipcRenderer.invoke.mockRejectedValueOnce(new Error("Error invoking remote method 'cluster:stopPeer': ClusterError: no peer p9 in this session (peers: none)"));
    const unknown = await bridge.stopPeer('p9').catch((error: unknown) => error);
    expect(unknown).toMatchObject({ name: 'ClusterError', message: 'no peer p9 in this session (peers: none)' });

    ipcRenderer.invoke.mockRejectedValueOnce(new Error('something else'));
    await expect(bridge.session()).rejects.toThrow(/^something else$/);
  });

  it('hands listeners each batch alone, never the IPC event', () => {
    const listener = vi.fn();
    const unsubscribe = bridge.onEvents(listener);
    ipcRenderer.emit(EVENTS_CHANNEL, { sender: ipcRenderer, ports: [] }, BATCH);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener.mock.calls[0]).toEqual([BATCH]);
    unsubscribe();
  });

  it('asks for events with its first listener and stops with its last', () => {
    const first = vi.fn();
    const second = vi.fn();
    const stopFirst = bridge.onEvents(first);
    const stopSecond = bridge.onEvents(second);
    expect(ipcRenderer.send.mock.calls).toEqual([[EVENTS_CHANNEL, 'subscribe']]);
    expect(ipcRenderer.listenerCount(EVENTS_CHANNEL)).toBe(1);

    stopFirst();
    ipcRenderer.emit(EVENTS_CHANNEL, {}, BATCH);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
    expect(ipcRenderer.send).toHaveBeenCalledTimes(1);

    stopSecond();
    stopSecond();
    expect(ipcRenderer.send.mock.calls).toEqual([
      [EVENTS_CHANNEL, 'subscribe'],
      [EVENTS_CHANNEL, 'unsubscribe'],
    ]);
    expect(ipcRenderer.listenerCount(EVENTS_CHANNEL)).toBe(0);
    ipcRenderer.emit(EVENTS_CHANNEL, {}, BATCH);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('keeps delivering to the other listeners when one throws', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const good = vi.fn();
    const stopBad = bridge.onEvents(() => {
      throw new Error('a broken view');
    });
    const stopGood = bridge.onEvents(good);
    ipcRenderer.emit(EVENTS_CHANNEL, {}, BATCH);
    expect(good).toHaveBeenCalledWith(BATCH);
    expect(error).toHaveBeenCalled();
    stopBad();
    stopGood();
    error.mockRestore();
  });
});
