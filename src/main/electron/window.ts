/**
 * The main window: isolated, sandboxed, no Node in the page; shown once it has painted, so the
 * user never sees a blank white frame.
 */
import { BrowserWindow } from 'electron';
import type { RendererLocation } from './renderer-location.ts';

export interface MainWindowOptions {
  readonly location: RendererLocation;
  /** The built preload script (`out/preload/index.cjs`). */
  readonly preload: string;
}

/** The page's background (the renderer's --bg) so resizing never flashes white. */
const BACKGROUND = '#101317';

export function createMainWindow({ location, preload }: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    title: 'Ringside',
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    show: false,
    backgroundColor: BACKGROUND,
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  const loading = location.devServerUrl !== undefined ? window.loadURL(location.devServerUrl) : window.loadFile(location.indexFile);
  loading.catch((error: unknown) => console.error(`ringside: the window could not load its page: ${(error as Error).message}`));
  return window;
}
