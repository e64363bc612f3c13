// Where `npm start` opens the window (scripts/window-route.ts): every way to the browser says why
// in one line, and Ubuntu's AppArmor rule says what to do for the desktop app.
import { describe, expect, it } from 'vitest';
import { fallbackAfterElectron, routeBeforeElectron, routeWithElectron, type ElectronFacts, type LaunchFacts } from '../../scripts/window-route.ts';
import { browserOpener } from '../../src/cli/commands/open.ts';

const desktop: LaunchFacts = { platform: 'linux', env: { DISPLAY: ':0' }, args: [] };
const withElectron = (overrides: Partial<ElectronFacts> = {}): ElectronFacts => ({
  ...desktop,
  electron: { found: true, path: '/x/node_modules/electron/dist/electron' },
  appArmorRestrictsUserNamespaces: false,
  sandboxHelperReady: false,
  sandboxHelperPath: '/x/node_modules/electron/dist/chrome-sandbox',
  ...overrides,
});

describe('npm start: before Electron is looked up', () => {
  it('looks Electron up on a desktop', () => {
    expect(routeBeforeElectron(desktop)).toBeUndefined();
    expect(routeBeforeElectron({ platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' }, args: [] })).toBeUndefined();
    expect(routeBeforeElectron({ platform: 'darwin', env: {}, args: [] })).toBeUndefined();
  });

  it('serves the browser route with one line where Linux has no display', () => {
    const route = routeBeforeElectron({ platform: 'linux', env: {}, args: [] });
    expect(route).toMatchObject({ route: 'browser', check: false });
    expect(route?.lines).toHaveLength(1);
    expect(route?.lines[0]).toMatch(/No display here .*browser instead/);
  });

  it('checks and stops in check mode (RINGSIDE_CHECK=1 or --check), even on a desktop', () => {
    expect(routeBeforeElectron({ ...desktop, env: { ...desktop.env, RINGSIDE_CHECK: '1' } })).toMatchObject({ route: 'browser', check: true });
    expect(routeBeforeElectron({ ...desktop, args: ['--check'] })).toMatchObject({ route: 'browser', check: true });
    expect(routeBeforeElectron({ ...desktop, env: { ...desktop.env, RINGSIDE_CHECK: '0' } })).toBeUndefined();
  });

  it('honours a forced route', () => {
    expect(routeBeforeElectron({ ...desktop, args: ['--browser'] })).toEqual({ route: 'browser', check: false, lines: [] });
    expect(routeBeforeElectron({ ...desktop, env: { RINGSIDE_WINDOW: 'browser' } })).toMatchObject({ route: 'browser' });
    // Forced Electron is tried even with no display visible (a remote X forwarding, say).
    expect(routeBeforeElectron({ platform: 'linux', env: { RINGSIDE_WINDOW: 'electron' }, args: [] })).toBeUndefined();
  });
});

describe('npm start: with Electron looked up', () => {
  it('opens Electron, sandboxed, when it can', () => {
    expect(routeWithElectron(withElectron())).toEqual({ route: 'electron', binary: '/x/node_modules/electron/dist/electron', electronArgs: [], lines: [] });
  });

  it('says in one line that no Electron binary can be had, and serves the browser route', () => {
    const route = routeWithElectron(withElectron({ electron: { found: false, reason: 'its download failed: TypeError: fetch failed' } }));
    expect(route.route).toBe('browser');
    expect(route.lines).toEqual(["Electron's binary cannot be had here (its download failed: TypeError: fetch failed): serving the same window in your browser instead."]);
  });

  it('explains the AppArmor user-namespace rule, says what to do, and serves the browser route', () => {
    const route = routeWithElectron(withElectron({ appArmorRestrictsUserNamespaces: true }));
    expect(route.route).toBe('browser');
    const text = route.lines.join('\n');
    expect(text).toContain('kernel.apparmor_restrict_unprivileged_userns=1');
    expect(text).toContain('electron/electron#42510');
    expect(text).toContain('sudo chown root:root /x/node_modules/electron/dist/chrome-sandbox && sudo chmod 4755 /x/node_modules/electron/dist/chrome-sandbox');
    expect(text).toContain('RINGSIDE_NO_SANDBOX=1 npm start');
  });

  it('runs Electron under the AppArmor rule when the setuid helper is in place, or when told to', () => {
    expect(routeWithElectron(withElectron({ appArmorRestrictsUserNamespaces: true, sandboxHelperReady: true }))).toMatchObject({ route: 'electron', electronArgs: [] });
    expect(routeWithElectron(withElectron({ appArmorRestrictsUserNamespaces: true, env: { DISPLAY: ':0', RINGSIDE_WINDOW: 'electron' } }))).toMatchObject({ route: 'electron', electronArgs: [] });
    const unsandboxed = routeWithElectron(withElectron({ appArmorRestrictsUserNamespaces: true, env: { DISPLAY: ':0', RINGSIDE_NO_SANDBOX: '1' } }));
    expect(unsandboxed).toMatchObject({ route: 'electron', electronArgs: ['--no-sandbox'] });
    expect(unsandboxed.lines).toHaveLength(1);
  });

  it('ignores the AppArmor rule off Linux', () => {
    expect(routeWithElectron(withElectron({ platform: 'darwin', appArmorRestrictsUserNamespaces: true }))).toMatchObject({ route: 'electron' });
  });
});

describe('npm start: after Electron ends', () => {
  it('falls back to the browser, saying why, when Electron crashes at start', () => {
    const route = fallbackAfterElectron({ code: null, signal: 'SIGTRAP', runMs: 800 });
    expect(route).toMatchObject({ route: 'browser' });
    expect(route?.lines[0]).toMatch(/Electron stopped at start \(signal SIGTRAP\) \(a sandbox abort: RINGSIDE_NO_SANDBOX=1 npm start/);
    expect(fallbackAfterElectron({ code: 1, signal: null, runMs: 2_000 })?.lines[0]).toMatch(/exit status 1/);
  });

  it('does nothing after a normal close or a crash long after the start', () => {
    expect(fallbackAfterElectron({ code: 0, signal: null, runMs: 500 })).toBeUndefined();
    expect(fallbackAfterElectron({ code: null, signal: 'SIGSEGV', runMs: 600_000 })).toBeUndefined();
  });
});

describe('ringside open: the browser', () => {
  it('opens the address only where a desktop is present', () => {
    expect(browserOpener('linux', {})).toBeUndefined();
    expect(browserOpener('linux', { DISPLAY: ':0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(browserOpener('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toEqual({ command: 'xdg-open', args: [] });
    expect(browserOpener('darwin', {})).toEqual({ command: 'open', args: [] });
  });
});
