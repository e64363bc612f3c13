/**
 * The window's cluster: one ClusterManager for the app's life, recording its journal under the
 * user's data folder, and stopping every peer it started before the app quits.
 *
 * Nothing starts on its own: the window opens on a cluster ready to start (the Start button
 * starts five peers), and peers run as children of Electron's own runtime (process.execPath
 * with ELECTRON_RUN_AS_NODE, see ../cluster/spawn.ts) from the built peer entry.
 */
import { mkdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { app } from 'electron';
import { ClusterManager } from '../cluster/manager.ts';
import type { ApiContext } from '../server/api.ts';

/** How long quitting waits for peers to leave gracefully before it goes anyway. */
export const QUIT_WAIT_MS = 5_000;
/** Within that, how long one peer may take to leave before it is killed. */
const PEER_STOP_MS = 3_000;

/**
 * The built peer entry next to the built main script (`out/main/peer.js`, an input of the main
 * build). Packaged, it is unpacked from app.asar (see electron-builder.yml's asarUnpack), so the
 * peer runs from a plain directory.
 */
export function builtPeerEntry(mainDir: string): string {
  const asar = `${sep}app.asar${sep}`;
  return join(mainDir, 'peer.js').replace(asar, `${sep}app.asar.unpacked${sep}`);
}

/** `<userData>/sessions/2026-01-02T03-04-05-678Z.ndjson`: one file per session, sortable. */
export function sessionJournalPath(userData: string, now: Date = new Date()): string {
  return join(userData, 'sessions', `${now.toISOString().replaceAll(':', '-').replace('.', '-')}.ndjson`);
}

export interface AppClusterOptions {
  readonly peerEntry: string;
  /** Default: app.getPath('userData'). */
  readonly userData?: string;
}

/** The app's cluster manager; its journal is recorded on disk when the folder can be written. */
export function createAppCluster(options: AppClusterOptions): ApiContext {
  const journalPath = sessionJournalPath(options.userData ?? app.getPath('userData'));
  let manager: ClusterManager;
  try {
    mkdirSync(join(journalPath, '..'), { recursive: true, mode: 0o700 });
    manager = new ClusterManager({ journalPath, peerEntry: options.peerEntry });
  } catch (error) {
    // The session still works; it is only not recorded (the status bar shows no file).
    console.error(`ringside: the session is not recorded on disk: ${(error as Error).message}`);
    manager = new ClusterManager({ peerEntry: options.peerEntry });
  }
  return { manager, startedAt: Date.now() };
}

/**
 * Closing the window quits the app, and quitting waits (once, at most `waitMs`) for the manager
 * to stop every peer it started; then the app quits for real. A peer still running after that is
 * killed when the process exits, and leaves on its own when its parent's pipe closes.
 */
export function enableStopPeersOnQuit(manager: ClusterManager, options: { waitMs?: number; signals?: NodeJS.EventEmitter } = {}): void {
  let stage: 'running' | 'stopping' | 'stopped' = 'running';
  // One window, one cluster: closing it ends the session on every platform.
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', (event) => {
    if (stage === 'stopped') return;
    event.preventDefault();
    if (stage === 'stopping') return;
    stage = 'stopping';
    void stopWithin(manager, options.waitMs ?? QUIT_WAIT_MS).then(() => {
      stage = 'stopped';
      app.quit();
    });
  });
  // Ctrl-C in the terminal that ran `npm start` quits the same way.
  const signals = options.signals ?? process;
  for (const signal of ['SIGINT', 'SIGTERM']) signals.on(signal, () => app.quit());
}

async function stopWithin(manager: ClusterManager, waitMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
  const stopped = manager.shutdown({ graceful: true, timeoutMs: Math.min(PEER_STOP_MS, waitMs) }).catch((error: unknown) => {
    console.error(`ringside: stopping the peers failed: ${(error as Error).message}`);
  });
  await Promise.race([stopped, deadline]);
  clearTimeout(timer);
}
