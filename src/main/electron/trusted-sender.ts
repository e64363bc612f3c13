/**
 * Every IPC message is checked before it is read: it must come from the top frame of the app's
 * own page (Electron's security checklist, "validate the sender of all IPC messages").
 */
import type { IpcMainEvent, IpcMainInvokeEvent } from 'electron';
import { isAppUrl, type RendererLocation } from './renderer-location.ts';

export class UntrustedSenderError extends Error {
  override readonly name = 'UntrustedSenderError';
}

/** Throws unless the message comes from the app's page; `what` names the call in the error. */
export function assertTrustedSender(event: IpcMainEvent | IpcMainInvokeEvent, location: RendererLocation, what: string): void {
  const frame = event.senderFrame;
  if (frame === null) throw new UntrustedSenderError(`${what}: refused: the calling page is gone`);
  if (frame.parent !== null) throw new UntrustedSenderError(`${what}: refused: a call from a frame inside the page`);
  if (!isAppUrl(location, frame.url)) throw new UntrustedSenderError(`${what}: refused: ${describeUrl(frame.url)} is not Ringside's own page`);
}

/** The URL as it appears in an error: enough to recognize, never a page of text. */
function describeUrl(url: string): string {
  return url.length > 200 ? `${url.slice(0, 200)}…` : url || 'an empty URL';
}
