/**
 * Security rules, enabled once at start-up for every web page the app creates (Electron's
 * security checklist): no navigation away from the app, no new windows (https links open in
 * the user's browser), no <webview>, no permission granted, and a strict Content-Security-Policy
 * header on everything the session loads (the page also carries it as a <meta> tag, which is
 * what applies to file:// pages).
 */
import { app, session, shell, type Session, type WebContents } from 'electron';

/**
 * The header policy. As strict as the page's own <meta> policy or stricter: the app loads only
 * its own scripts, styles and images, talks to nothing but itself (the dev server's HMR socket is
 * 'self'), and can be framed by nothing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Vue's style bindings and the dev server's injected styles need inline styles; no inline script.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function enableSecurityRules(): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  void app.whenReady().then(() => guardSession(session.defaultSession));
}

/** Rules for one page: it stays on the app and opens nothing. */
export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    // The app is one page (reloads and in-page changes do not come here): every navigation is
    // refused, and a web link the user followed opens in their browser instead.
    event.preventDefault();
    openExternally(url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Rules for the session: no permission, and the CSP header on every response. */
export function guardSession(target: Session): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}

function openExternally(url: string): void {
  if (!url.startsWith('https://')) return;
  shell.openExternal(url).catch((error: unknown) => console.error(`ringside: cannot open ${url}: ${(error as Error).message}`));
}
