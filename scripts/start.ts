/**
 * `npm start`: builds the app with electron-vite and opens the window on a cluster ready to
 * start: in Electron where it can run, otherwise (no display, no Electron binary, Ubuntu's
 * AppArmor rule, a crash at start) the same window in the browser through `ringside open`, with
 * one line saying why. scripts/window-route.ts decides; this file gathers the facts and acts.
 *
 *   npm start                       the desktop app, or the browser route with the reason
 *   npm start -- --browser          the browser route (RINGSIDE_WINDOW=browser; =electron forces Electron)
 *   npm start -- --check            serve, check that the window answers, stop (RINGSIDE_CHECK=1; CI)
 *   npm start -- --no-sandbox       Electron without Chromium's OS sandbox (RINGSIDE_NO_SANDBOX=1)
 *
 * Run by npm with the Node 22 that `npm install` brought (scripts/check-node.js guards that).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.ts';
import { checkMode, fallbackAfterElectron, routeBeforeElectron, routeWithElectron, type ElectronBinary, type LaunchFacts, type WindowRoute } from './window-route.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ELECTRON_PACKAGE = join(ROOT, 'node_modules', 'electron');
/** Electron's binary is about 100 MB: a slow line gets time, a blocked one fails fast anyway. */
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

const say = (lines: readonly string[]): void => {
  for (const line of lines) process.stderr.write(`${line}\n`);
};

function build(): void {
  process.stderr.write('Building the window (electron-vite build)…\n');
  const electronVite = join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  const result = spawnSync(process.execPath, [electronVite, 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    process.stderr.write(`The build failed (electron-vite exited with ${result.status ?? result.signal}); npm run build shows why.\n`);
    process.exit(1);
  }
}

function electronPath(): string | undefined {
  try {
    const relative = readFileSync(join(ELECTRON_PACKAGE, 'path.txt'), 'utf8').trim();
    const binary = join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(ELECTRON_PACKAGE, 'dist'), relative);
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/** Electron's binary, downloaded on first use as the electron package does (ELECTRON_MIRROR etc. apply). */
function findElectron(): ElectronBinary {
  const present = electronPath();
  if (present !== undefined) return { found: true, path: present };
  if (!existsSync(join(ELECTRON_PACKAGE, 'install.js'))) return { found: false, reason: 'the electron package is not installed' };
  const version = (JSON.parse(readFileSync(join(ELECTRON_PACKAGE, 'package.json'), 'utf8')) as { version: string }).version;
  process.stderr.write(`Downloading Electron ${version} (once, about 100 MB)…\n`);
  const download = spawnSync(process.execPath, [join(ELECTRON_PACKAGE, 'install.js')], { cwd: ELECTRON_PACKAGE, encoding: 'utf8', timeout: DOWNLOAD_TIMEOUT_MS });
  const downloaded = electronPath();
  if (downloaded !== undefined) return { found: true, path: downloaded };
  if (download.error !== undefined) return { found: false, reason: `the download did not finish: ${download.error.message}` };
  const why = `${download.stderr}`.split('\n').find((line) => line.trim() !== '')?.trim() ?? `exit status ${download.status}`;
  return { found: false, reason: `its download failed: ${why}` };
}

function appArmorRestrictsUserNamespaces(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/apparmor_restrict_unprivileged_userns', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function sandboxHelperReady(helper: string): boolean {
  try {
    const stat = statSync(helper);
    return stat.uid === 0 && (stat.mode & 0o4000) !== 0;
  } catch {
    return false;
  }
}

/** `ringside open`; where no desktop is present the route's line has said so, and no browser is tried. */
async function openInBrowser(route: Extract<WindowRoute, { route: 'browser' }>): Promise<number> {
  const desktop = process.platform !== 'linux' || Boolean(process.env.DISPLAY) || Boolean(process.env.WAYLAND_DISPLAY);
  return main(['open', ...(route.check ? ['--check'] : []), ...(desktop ? [] : ['--no-browser'])]);
}

/** Runs Electron on the built app; resolves with how it ended. */
function runElectron(binary: string, electronArgs: readonly string[]): Promise<{ code: number | null; signal: string | null; runMs: number; stoppedByUser: boolean }> {
  const startedAt = Date.now();
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [...electronArgs, ROOT], { stdio: 'inherit', env });
  let stoppedByUser = false;
  const forward = (signal: NodeJS.Signals): void => {
    stoppedByUser = true;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolvePromise) => {
    const done = (code: number | null, signal: string | null): void => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolvePromise({ code, signal, runMs: Date.now() - startedAt, stoppedByUser });
    };
    child.once('error', () => done(1, null));
    child.once('exit', done);
  });
}

async function start(): Promise<number> {
  const facts: LaunchFacts = { platform: process.platform, env: process.env, args: process.argv.slice(2) };
  build();
  const early = routeBeforeElectron(facts);
  if (early !== undefined && early.route === 'browser') {
    say(early.lines);
    return openInBrowser(early);
  }
  const electron = findElectron();
  const sandboxHelperPath = electron.found ? join(electron.path, '..', 'chrome-sandbox') : join(ELECTRON_PACKAGE, 'dist', 'chrome-sandbox');
  const route = routeWithElectron({
    ...facts,
    electron,
    appArmorRestrictsUserNamespaces: process.platform === 'linux' && appArmorRestrictsUserNamespaces(),
    sandboxHelperReady: sandboxHelperReady(sandboxHelperPath),
    sandboxHelperPath,
  });
  say(route.lines);
  if (route.route === 'browser') return openInBrowser(route);
  const exit = await runElectron(route.binary, route.electronArgs);
  const fallback = exit.stoppedByUser ? undefined : fallbackAfterElectron(exit);
  if (fallback !== undefined && fallback.route === 'browser' && !checkMode(facts)) {
    say(fallback.lines);
    return openInBrowser(fallback);
  }
  return exit.code ?? (exit.stoppedByUser ? 0 : 1);
}

process.exitCode = await start();
