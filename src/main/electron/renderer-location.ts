/**
 * Where the window's page comes from, and which pages count as the app's own: the built
 * `index.html` on disk, or (under `electron-vite dev`) the dev server named by
 * ELECTRON_RENDERER_URL. IPC senders, navigation and the CSP are all judged against this.
 *
 * No `electron` import: plain path and URL logic, shared by the window, security and IPC modules.
 */
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RendererLocation {
  /** The dev server's URL (`electron-vite dev`), when there is one. */
  readonly devServerUrl: string | undefined;
  /** The built page: `out/renderer/index.html` (inside app.asar once packaged). */
  readonly indexFile: string;
}

/** `mainDir` is the directory of the built main script (`out/main`). */
export function rendererLocation(mainDir: string, env: NodeJS.ProcessEnv = process.env): RendererLocation {
  const devServerUrl = env['ELECTRON_RENDERER_URL'];
  return {
    devServerUrl: devServerUrl === undefined || devServerUrl === '' ? undefined : devServerUrl,
    indexFile: join(mainDir, '../renderer/index.html'),
  };
}

/**
 * True when `url` is the app's own page: the dev server's origin, or exactly the built
 * index.html (any query or fragment). Anything else (another file, another origin, about:blank,
 * a data: URL) is not the app.
 */
export function isAppUrl(location: RendererLocation, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (location.devServerUrl !== undefined) return parsed.origin === new URL(location.devServerUrl).origin;
  if (parsed.protocol !== 'file:' || parsed.host !== '') return false;
  try {
    return normalize(fileURLToPath(parsed)) === normalize(location.indexFile);
  } catch {
    return false;
  }
}
