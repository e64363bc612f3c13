/**
 * Where `npm start` opens the window: the Electron app, or the same page in a browser
 * (`ringside open`). Pure decisions over facts the launcher (scripts/start.ts) gathers, so
 * test/unit/window-route.test.ts covers every branch. Each way to the browser says why in one
 * line; the AppArmor case also says what to do to get the desktop app.
 *
 * The caller's duties, in order:
 *   1. routeBeforeElectron(): when it names the browser, serve there; Electron is not looked up.
 *   2. Otherwise find (or download) Electron's binary, read the AppArmor user-namespace rule and
 *      the sandbox helper, and ask routeWithElectron().
 *   3. When Electron then ends abnormally soon after its start, ask fallbackAfterElectron(): a
 *      crash at start (a sandbox abort is SIGTRAP) falls back to the browser, saying so.
 */

export interface LaunchFacts {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `npm start -- ARGS`. */
  readonly args: readonly string[];
}

export type ElectronBinary = { readonly found: true; readonly path: string } | { readonly found: false; readonly reason: string };

export interface ElectronFacts extends LaunchFacts {
  readonly electron: ElectronBinary;
  /** /proc/sys/kernel/apparmor_restrict_unprivileged_userns reads 1 (Ubuntu 23.10+, 24.04). */
  readonly appArmorRestrictsUserNamespaces: boolean;
  /** chrome-sandbox beside the binary is owned by root with the setuid bit (mode 4755). */
  readonly sandboxHelperReady: boolean;
  /** Where chrome-sandbox is, for the commands the message gives. */
  readonly sandboxHelperPath: string;
}

export type WindowRoute =
  | { readonly route: 'browser'; readonly check: boolean; readonly lines: readonly string[] }
  | { readonly route: 'electron'; readonly binary: string; readonly electronArgs: readonly string[]; readonly lines: readonly string[] };

const BROWSER_INSTEAD = 'serving the same window in your browser instead';

const isOn = (value: string | undefined): boolean => value !== undefined && value !== '' && value !== '0' && value !== 'false';

function forcedRoute(facts: LaunchFacts): 'electron' | 'browser' | undefined {
  if (facts.args.includes('--browser')) return 'browser';
  const forced = facts.env.RINGSIDE_WINDOW;
  return forced === 'electron' || forced === 'browser' ? forced : undefined;
}

export function checkMode(facts: LaunchFacts): boolean {
  return facts.args.includes('--check') || isOn(facts.env.RINGSIDE_CHECK);
}

function noSandbox(facts: LaunchFacts): boolean {
  return facts.args.includes('--no-sandbox') || isOn(facts.env.RINGSIDE_NO_SANDBOX);
}

/** The browser route when it is decided before Electron is looked up; undefined: look Electron up. */
export function routeBeforeElectron(facts: LaunchFacts): WindowRoute | undefined {
  const check = checkMode(facts);
  if (check) {
    return { route: 'browser', check, lines: ['check mode (RINGSIDE_CHECK=1 or --check): serving the window, checking that it answers, then stopping.'] };
  }
  const forced = forcedRoute(facts);
  if (forced === 'browser') return { route: 'browser', check, lines: [] };
  if (forced === 'electron') return undefined;
  if (facts.platform === 'linux' && !facts.env.DISPLAY && !facts.env.WAYLAND_DISPLAY) {
    return { route: 'browser', check, lines: [`No display here (DISPLAY and WAYLAND_DISPLAY are unset), so no desktop window: ${BROWSER_INSTEAD}.`] };
  }
  return undefined;
}

export function routeWithElectron(facts: ElectronFacts): WindowRoute {
  if (!facts.electron.found) {
    return { route: 'browser', check: false, lines: [`Electron's binary cannot be had here (${facts.electron.reason}): ${BROWSER_INSTEAD}.`] };
  }
  const binary = facts.electron.path;
  if (noSandbox(facts)) {
    return {
      route: 'electron',
      binary,
      electronArgs: ['--no-sandbox'],
      lines: ['Electron runs without Chromium\'s OS sandbox (RINGSIDE_NO_SANDBOX=1 or --no-sandbox); the page keeps its own isolation.'],
    };
  }
  // Ubuntu 23.10+ lets only AppArmor-profiled programs use unprivileged user namespaces, which
  // Chromium's sandbox needs; without them it wants its setuid helper, else it aborts at start
  // (electron/electron#42510). Electron's own advice: the setuid helper or an AppArmor profile,
  // and --no-sandbox only knowingly. The packaged .deb installs a profile; a checkout has none.
  const forced = forcedRoute(facts) === 'electron';
  if (facts.platform === 'linux' && facts.appArmorRestrictsUserNamespaces && !facts.sandboxHelperReady && !forced) {
    return {
      route: 'browser',
      check: false,
      lines: [
        `AppArmor restricts user namespaces here (kernel.apparmor_restrict_unprivileged_userns=1), so Electron's sandbox would abort (electron/electron#42510): ${BROWSER_INSTEAD}.`,
        '  For the desktop app, either give Electron its setuid sandbox helper (once; as Electron advises):',
        `    sudo chown root:root ${facts.sandboxHelperPath} && sudo chmod 4755 ${facts.sandboxHelperPath}`,
        '  or, with an AppArmor profile that grants Electron `userns`, RINGSIDE_WINDOW=electron npm start;',
        '  or run it without the OS sandbox: RINGSIDE_NO_SANDBOX=1 npm start.',
      ],
    };
  }
  return { route: 'electron', binary, electronArgs: [], lines: [] };
}

/** Electron ended: undefined when that was the user's doing, else the browser route with why. */
export function fallbackAfterElectron(exit: { code: number | null; signal: string | null; runMs: number }): WindowRoute | undefined {
  const crashedAtStart = exit.runMs < 15_000 && (exit.signal !== null || (exit.code !== null && exit.code !== 0));
  if (!crashedAtStart) return undefined;
  const how = exit.signal !== null ? `signal ${exit.signal}` : `exit status ${exit.code}`;
  const sandbox = exit.signal === 'SIGTRAP' ? ' (a sandbox abort: RINGSIDE_NO_SANDBOX=1 npm start runs it without the OS sandbox)' : '';
  return { route: 'browser', check: false, lines: [`Electron stopped at start (${how})${sandbox}: ${BROWSER_INSTEAD}.`] };
}
