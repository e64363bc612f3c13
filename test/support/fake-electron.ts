/**
 * A stand-in for the `electron` module, for unit tests of the shell (the Electron binary cannot
 * be downloaded here). It keeps Electron's observable behaviour where the shell relies on it:
 * a new window's web contents is announced with the app's 'web-contents-created'; closing a
 * window emits 'closed', destroys its web contents and, for the last one, 'window-all-closed';
 * `app.quit()` emits a cancellable 'before-quit'; a second `ipcMain.handle` on one channel throws.
 *
 * Use it with
 *   vi.mock('electron', async () => (await import('../support/fake-electron.ts')).electronModule);
 * and call `resetFakeElectron()` before each test.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { vi } from 'vitest';

export interface FakeEvent {
  defaultPrevented: boolean;
  preventDefault(): void;
}
export function fakeEvent(): FakeEvent {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}

export class FakeWebFrame {
  readonly url: string;
  readonly parent: FakeWebFrame | null;
  constructor(url: string, parent: FakeWebFrame | null = null) {
    this.url = url;
    this.parent = parent;
  }
}

type WindowOpenHandler = (details: { url: string }) => { action: 'allow' | 'deny' };

export class FakeWebContents extends EventEmitter {
  static #nextId = 1;
  readonly id = FakeWebContents.#nextId++;
  url = '';
  windowOpenHandler: WindowOpenHandler | undefined;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  #destroyed = false;

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    if (this.#destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, args });
  }
  getURL(): string {
    return this.url;
  }
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.emit('destroyed');
  }
  /** What `ipcMain` hands a handler for a message from this page's top frame (or `frame`). */
  ipcEvent(frame: FakeWebFrame | null = new FakeWebFrame(this.url)): { sender: FakeWebContents; senderFrame: FakeWebFrame | null; frameId: number; processId: number } {
    return { sender: this, senderFrame: frame, frameId: 1, processId: this.id };
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static windows: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  shown = false;
  focused = false;
  loaded: { url: string } | { file: string } | undefined;
  #destroyed = false;

  readonly options: Record<string, unknown> & { webPreferences?: Record<string, unknown> };

  constructor(options: Record<string, unknown> & { webPreferences?: Record<string, unknown> }) {
    super();
    this.options = options;
    FakeBrowserWindow.windows.push(this);
    app.emit('web-contents-created', fakeEvent(), this.webContents);
  }
  static getAllWindows(): FakeBrowserWindow[] {
    return [...FakeBrowserWindow.windows];
  }
  static fromWebContents(contents: FakeWebContents): FakeBrowserWindow | null {
    return FakeBrowserWindow.windows.find((window) => window.webContents === contents) ?? null;
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { url };
    this.webContents.url = url;
    return Promise.resolve();
  }
  loadFile(file: string): Promise<void> {
    this.loaded = { file };
    this.webContents.url = pathToFileURL(file).href;
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {
    this.focused = true;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  isDestroyed(): boolean {
    return this.#destroyed;
  }
  /** As the user closing it: 'close', then 'closed', its page destroyed, maybe 'window-all-closed'. */
  close(): void {
    const event = fakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.#destroyed = true;
    FakeBrowserWindow.windows = FakeBrowserWindow.windows.filter((window) => window !== this);
    this.emit('closed');
    this.webContents.destroy();
    if (FakeBrowserWindow.windows.length === 0) app.emit('window-all-closed', fakeEvent());
  }
}

class FakeApp extends EventEmitter {
  userData = '';
  singleInstance = true;
  /** How many times `quit()` was called, and whether one went through. */
  quitCalls = 0;
  quitted = false;
  #ready = Promise.resolve();

  whenReady(): Promise<void> {
    return this.#ready;
  }
  isReady(): boolean {
    return true;
  }
  getPath(name: string): string {
    if (name === 'userData') return this.userData;
    throw new Error(`the fake app has no path '${name}'`);
  }
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  quit(): void {
    this.quitCalls++;
    const event = fakeEvent();
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    this.quitted = true;
    this.emit('will-quit', fakeEvent());
  }
}

type Handler = (event: unknown, ...args: unknown[]) => unknown;

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What `ipcRenderer.invoke` does: the handler's result or rejection, always as a promise. */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }
}

class FakeSession {
  permissionRequestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
  permissionCheckHandler: ((contents: unknown, permission: string) => boolean) | undefined;
  headersListener: ((details: { url: string; responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void) | undefined;
  readonly webRequest = {
    onHeadersReceived: (listener: NonNullable<FakeSession['headersListener']>): void => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: FakeSession['permissionRequestHandler']): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['permissionCheckHandler']): void {
    this.permissionCheckHandler = handler;
  }
}

class FakeIpcRenderer extends EventEmitter {
  readonly invoke = vi.fn<(channel: string, ...args: unknown[]) => Promise<unknown>>(async () => undefined);
  readonly send = vi.fn<(channel: string, ...args: unknown[]) => void>();
}

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();
export const ipcRenderer = new FakeIpcRenderer();
export const session = { defaultSession: new FakeSession() };
export const dialog = {
  showSaveDialog: vi.fn<(...args: unknown[]) => Promise<{ canceled: boolean; filePath?: string }>>(),
};
export const shell = { openExternal: vi.fn<(url: string) => Promise<void>>(async () => undefined) };
export const exposed: Record<string, unknown> = {};
export const contextBridge = {
  exposeInMainWorld: vi.fn((key: string, api: unknown) => {
    exposed[key] = api;
  }),
};

/** The module `vi.mock('electron', …)` returns. */
export const electronModule = {
  app,
  ipcMain,
  ipcRenderer,
  BrowserWindow: FakeBrowserWindow,
  session,
  dialog,
  shell,
  contextBridge,
};

/** A fresh app (its userData a new temporary folder), no windows, no handlers, no calls. */
export function resetFakeElectron(): void {
  removeFakeUserData();
  app.removeAllListeners();
  app.userData = mkdtempSync(join(tmpdir(), 'ringside-electron-'));
  app.singleInstance = true;
  app.quitCalls = 0;
  app.quitted = false;
  ipcMain.removeAllListeners();
  ipcMain.handlers.clear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoke.mockReset();
  ipcRenderer.send.mockReset();
  session.defaultSession = new FakeSession();
  FakeBrowserWindow.windows = [];
  dialog.showSaveDialog.mockReset();
  shell.openExternal.mockClear();
  contextBridge.exposeInMainWorld.mockClear();
  for (const key of Object.keys(exposed)) delete exposed[key];
}

/** Removes the app's temporary userData folder (call after the last test). */
export function removeFakeUserData(): void {
  if (app.userData !== '') rmSync(app.userData, { recursive: true, force: true });
  app.userData = '';
}
