/**
 * `ringside open`: the window in a browser, on a cluster ready to start (no peers until the
 * window's Start button, as in the desktop app). It builds the window first when it is not built,
 * serves it with the cluster API on 127.0.0.1, prints the address and opens it where a desktop is
 * present. `npm start` takes this route where Electron cannot run (scripts/start.ts).
 *
 * With --check (CI): serve, check that the page, its script and the API answer, stop, exit 0;
 * exit 1 with one line saying what did not answer.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterManager } from '../../main/cluster/manager.ts';
import { ApiServer, DEFAULT_RENDERER_ROOT } from '../../main/server/server.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from '../io.ts';

export interface OpenCommandOptions {
  readonly port: number;
  readonly peers: number;
  /** Open the address in the desktop's browser (where there is a desktop). */
  readonly browser: boolean;
  readonly check: boolean;
  readonly renderer?: string | undefined;
}

const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
/** How long the check waits for one answer; a loaded CI machine answers in milliseconds. */
const CHECK_TIMEOUT_MS = 20_000;
/** How long stopping waits for peers to leave gracefully before they are killed. */
const STOP_TIMEOUT_MS = 8_000;

export async function openCommand(options: OpenCommandOptions, io: CliIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  const rendererRoot = resolve(options.renderer ?? DEFAULT_RENDERER_ROOT);
  if (!existsSync(join(rendererRoot, 'index.html'))) {
    if (options.renderer !== undefined) {
      io.err(`error: ${rendererRoot} holds no index.html: give the folder electron-vite built (out/renderer)\n`);
      return EXIT_USAGE;
    }
    const built = buildWindow(io);
    if (built !== undefined) {
      io.err(`error: the window could not be built (${built}); run npm run build in ${CHECKOUT} to see why\n`);
      return EXIT_FAILED;
    }
  }

  const manager = new ClusterManager();
  const server = new ApiServer({ manager, startedAt: Date.now() }, { port: options.port, rendererRoot });
  try {
    if (options.peers > 0) await manager.start(options.peers);
    await server.listen();
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n`);
    await server.close().catch(() => undefined);
    await manager.shutdown({ graceful: false });
    return EXIT_FAILED;
  }
  const peers = options.peers > 0 ? `${options.peers} peers running` : 'a cluster ready to start: press Start';
  io.out(`Ringside: the window is at ${server.url} (${peers})\n`);

  if (options.check) {
    const problem = await checkServed(server);
    await server.close();
    await manager.shutdown({ graceful: true, timeoutMs: STOP_TIMEOUT_MS });
    if (problem !== undefined) {
      io.err(`check failed: ${problem}\n`);
      return EXIT_FAILED;
    }
    io.out('check passed: the page, its script and the cluster API answered; stopped.\n');
    return EXIT_OK;
  }

  if (options.browser) openInBrowser(server.url, io);
  io.out('Press Ctrl-C to stop (every peer started from the window stops with it).\n');
  await new Promise<void>((resolvePromise) => {
    const onSignal = (): void => {
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
      resolvePromise();
    };
    signals.on('SIGINT', onSignal);
    signals.on('SIGTERM', onSignal);
  });
  io.err('stopping…\n');
  await server.close();
  await manager.shutdown({ graceful: true, timeoutMs: STOP_TIMEOUT_MS });
  return EXIT_OK;
}

/** Builds the window with electron-vite from the checkout; undefined when built, else why not. */
function buildWindow(io: CliIo): string | undefined {
  const electronVite = join(CHECKOUT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
  if (!existsSync(electronVite)) return `electron-vite is not installed: run npm install in ${CHECKOUT}`;
  io.err('building the window (electron-vite build, a few seconds)…\n');
  const build = spawnSync(process.execPath, [electronVite, 'build', '--logLevel', 'warn'], { cwd: CHECKOUT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.error !== undefined) return build.error.message;
  return build.status === 0 ? undefined : `electron-vite exited with ${build.status ?? build.signal}`;
}

/** Fetches the page, its entry script and the API's session: undefined when all answer. */
export async function checkServed(server: Pick<ApiServer, 'url' | 'host' | 'port' | 'token'>): Promise<string | undefined> {
  const origin = `http://${server.host}:${server.port}`;
  const get = async (path: string): Promise<{ status: number; text: string } | string> => {
    try {
      const response = await fetch(`${origin}${path}`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
      return { status: response.status, text: await response.text() };
    } catch (error) {
      return `${path} did not answer (${(error as Error).message})`;
    }
  };
  const page = await get('/');
  if (typeof page === 'string') return page;
  if (page.status !== 200 || !page.text.includes('<div id="app">')) return `the page answered ${page.status} without the window's markup`;
  const script = /<script type="module"[^>]* src="\.?\/?([^"]+)"/.exec(page.text)?.[1];
  if (script === undefined) return 'the page names no script';
  const scriptAnswer = await get(`/${script}`);
  if (typeof scriptAnswer === 'string') return scriptAnswer;
  if (scriptAnswer.status !== 200 || scriptAnswer.text.length === 0) return `the window's script /${script} answered ${scriptAnswer.status}`;
  const session = await get(`/api/session?token=${server.token}`);
  if (typeof session === 'string') return session;
  if (session.status !== 200) return `the cluster API answered ${session.status}: ${session.text.slice(0, 200)}`;
  return undefined;
}

/** Where a desktop is present, hands the address to its browser; otherwise says what to do. */
function openInBrowser(url: string, io: CliIo): void {
  const opener = browserOpener(process.platform, process.env);
  if (opener === undefined) {
    io.out('No desktop here (DISPLAY and WAYLAND_DISPLAY are unset): open the address in a browser.\n');
    return;
  }
  try {
    const child = spawn(opener.command, [...opener.args, url], { detached: true, stdio: 'ignore' });
    child.once('error', () => io.out(`Could not run ${opener.command}: open the address in a browser.\n`));
    child.unref();
  } catch {
    io.out(`Could not run ${opener.command}: open the address in a browser.\n`);
  }
}

/** The command that opens a URL in the desktop's browser, or undefined where there is no desktop. */
export function browserOpener(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>): { command: string; args: string[] } | undefined {
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  return { command: 'xdg-open', args: [] };
}

