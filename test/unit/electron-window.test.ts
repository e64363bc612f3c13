/**
 * The main window and the security rules every page gets (Electron's security checklist), with
 * the `electron` module replaced by a fake.
 */
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { app, fakeEvent, resetFakeElectron, removeFakeUserData, session, shell, type FakeBrowserWindow, type FakeWebContents } from '../support/fake-electron.ts';

vi.mock('electron', async () => (await import('../support/fake-electron.ts')).electronModule);

const { createMainWindow } = await import('../../src/main/electron/window.ts');
const { CONTENT_SECURITY_POLICY, enableSecurityRules } = await import('../../src/main/electron/security.ts');
const { isAppUrl, rendererLocation } = await import('../../src/main/electron/renderer-location.ts');

const mainDir = '/opt/Ringside/resources/app.asar/out/main';
const built = rendererLocation(mainDir, {});
const preload = join(mainDir, '../preload/index.cjs');

beforeEach(() => resetFakeElectron());
afterAll(() => removeFakeUserData());

function openWindow(location = built): FakeBrowserWindow {
  return createMainWindow({ location, preload }) as unknown as FakeBrowserWindow;
}

describe('the main window', () => {
  it('isolates the page, sandboxes it and gives it no Node', () => {
    const window = openWindow();
    expect(window.options.webPreferences).toMatchObject({
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });

  it('is titled, sized for the views and never smaller than they need', () => {
    const { options } = openWindow();
    expect(options['title']).toBe('Ringside');
    expect(options['minWidth']).toBeGreaterThanOrEqual(800);
    expect(options['minHeight']).toBeGreaterThanOrEqual(500);
    expect(options['width']).toBeGreaterThanOrEqual(options['minWidth'] as number);
    expect(options['height']).toBeGreaterThanOrEqual(options['minHeight'] as number);
  });

  it('stays hidden until its page is ready to show', () => {
    const window = openWindow();
    expect(window.options['show']).toBe(false);
    expect(window.shown).toBe(false);
    window.emit('ready-to-show');
    expect(window.shown).toBe(true);
  });

  it('loads the built page, or the dev server when electron-vite dev names one', () => {
    expect(openWindow().loaded).toEqual({ file: '/opt/Ringside/resources/app.asar/out/renderer/index.html' });
    const dev = rendererLocation(mainDir, { ELECTRON_RENDERER_URL: 'http://localhost:5173' });
    expect(openWindow(dev).loaded).toEqual({ url: 'http://localhost:5173' });
  });
});

describe("the app's own page", () => {
  it('is exactly the built index.html, whatever its query or fragment', () => {
    expect(isAppUrl(built, 'file:///opt/Ringside/resources/app.asar/out/renderer/index.html')).toBe(true);
    expect(isAppUrl(built, 'file:///opt/Ringside/resources/app.asar/out/renderer/index.html#/ring?key=a')).toBe(true);
    expect(isAppUrl(built, 'file:///opt/Ringside/resources/app.asar/out/renderer/other.html')).toBe(false);
    expect(isAppUrl(built, 'file:///tmp/index.html')).toBe(false);
    expect(isAppUrl(built, 'file://evil.example/opt/Ringside/resources/app.asar/out/renderer/index.html')).toBe(false);
    expect(isAppUrl(built, 'https://evil.example/')).toBe(false);
    expect(isAppUrl(built, 'about:blank')).toBe(false);
    expect(isAppUrl(built, 'not a url')).toBe(false);
  });

  it("is the dev server's origin under electron-vite dev, and only that", () => {
    const dev = rendererLocation(mainDir, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' });
    expect(isAppUrl(dev, 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl(dev, 'http://localhost:5173/index.html#/log')).toBe(true);
    expect(isAppUrl(dev, 'http://localhost:5174/')).toBe(false);
    expect(isAppUrl(dev, 'file:///opt/Ringside/resources/app.asar/out/renderer/index.html')).toBe(false);
  });
});

describe('the security rules', () => {
  function guardedPage(): FakeWebContents {
    enableSecurityRules();
    return openWindow().webContents;
  }

  it('refuse every navigation, opening web links in the browser instead', () => {
    const page = guardedPage();
    for (const url of ['https://example.com/', 'file:///etc/passwd', 'http://example.com/', 'file:///opt/Ringside/resources/app.asar/out/renderer/index.html']) {
      const event = fakeEvent();
      page.emit('will-navigate', event, url);
      expect(event.defaultPrevented, url).toBe(true);
    }
    expect(shell.openExternal.mock.calls).toEqual([['https://example.com/']]);
  });

  it('refuse new windows, opening https links in the browser instead', () => {
    const page = guardedPage();
    expect(page.windowOpenHandler?.({ url: 'https://github.com/' })).toEqual({ action: 'deny' });
    expect(page.windowOpenHandler?.({ url: 'http://example.com/' })).toEqual({ action: 'deny' });
    expect(page.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(page.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(shell.openExternal.mock.calls).toEqual([['https://github.com/']]);
  });

  it('refuse to attach a <webview>', () => {
    const page = guardedPage();
    const event = fakeEvent();
    page.emit('will-attach-webview', event, {}, {});
    expect(event.defaultPrevented).toBe(true);
  });

  it('deny every permission a page asks for or checks', async () => {
    enableSecurityRules();
    await app.whenReady();
    const { permissionRequestHandler, permissionCheckHandler } = session.defaultSession;
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const callback = vi.fn();
      permissionRequestHandler?.({}, permission, callback);
      expect(callback).toHaveBeenCalledWith(false);
      expect(permissionCheckHandler?.({}, permission)).toBe(false);
    }
  });

  it('add a strict Content-Security-Policy header to every response, keeping its other headers', async () => {
    enableSecurityRules();
    await app.whenReady();
    const callback = vi.fn();
    session.defaultSession.headersListener?.({ url: 'http://localhost:5173/', responseHeaders: { 'Content-Type': ['text/html'] } }, callback);
    expect(callback).toHaveBeenCalledWith({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });
});
