/**
 * The Electron shell. Thin on purpose: it composes small modules, each enabled once at start-up
 * (security rules, the cluster, its IPC, the window); they live in ./electron and are the only
 * code that imports `electron`. The cluster itself (./cluster) is plain Node.
 */
import { join } from 'node:path';
import { app, BrowserWindow } from 'electron';
import { builtPeerEntry, createAppCluster, enableStopPeersOnQuit } from './electron/cluster.ts';
import { enableClusterIpc } from './electron/ipc.ts';
import { rendererLocation } from './electron/renderer-location.ts';
import { enableSecurityRules } from './electron/security.ts';
import { createMainWindow } from './electron/window.ts';

const location = rendererLocation(import.meta.dirname);
const preload = join(import.meta.dirname, '../preload/index.cjs');

// One app, one cluster: a second launch brings the first window forward instead.
if (!app.requestSingleInstanceLock()) app.quit();
else {
  enableSecurityRules();
  void app.whenReady().then(() => {
    const context = createAppCluster({ peerEntry: builtPeerEntry(import.meta.dirname) });
    enableStopPeersOnQuit(context.manager);
    enableClusterIpc(context, location);
    let window = createMainWindow({ location, preload });
    const bringForward = (): void => {
      if (window.isDestroyed()) window = createMainWindow({ location, preload });
      else if (window.isMinimized()) window.restore();
      window.focus();
    };
    app.on('second-instance', bringForward);
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) bringForward();
    });
  });
}
