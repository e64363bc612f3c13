/**
 * The event stream to each window: one EventFeed per page that subscribed (the preload asks when
 * its first listener arrives, and stops when its last one leaves), sending batches to that page
 * only. A reloaded page subscribes again and replaces its old feed; a closed window ends its own.
 *
 * IPC says nothing of how far a page is behind (`send` never waits), so these feeds are not
 * paced as the web server's are: a batch still holds at most `FEED_BATCH_BYTES_MAX` of entries,
 * and events faster than that fill a backlog bounded by bytes, whose drops the page is told.
 */
import { ipcMain, type WebContents } from 'electron';
import { EVENTS_CHANNEL } from '../../shared/api/bridge.ts';
import { EventFeed } from '../cluster/feed.ts';
import type { ApiContext } from '../server/api.ts';
import type { RendererLocation } from './renderer-location.ts';
import { assertTrustedSender } from './trusted-sender.ts';

/** What the preload sends on EVENTS_CHANNEL; the main process answers with event batches. */
export type EventsRequest = 'subscribe' | 'unsubscribe';

export function enableEventFeeds(context: ApiContext, location: RendererLocation): void {
  const feeds = new Map<WebContents, EventFeed>();
  const watched = new WeakSet<WebContents>();
  const end = (contents: WebContents): void => {
    feeds.get(contents)?.close();
    feeds.delete(contents);
  };
  ipcMain.on(EVENTS_CHANNEL, (event, request: unknown) => {
    try {
      assertTrustedSender(event, location, 'onEvents');
    } catch (error) {
      // A message has no reply to reject: say so here and ignore it.
      console.error(`ringside: ${(error as Error).message}`);
      return;
    }
    const contents = event.sender;
    end(contents);
    if (request !== 'subscribe') return;
    feeds.set(
      contents,
      new EventFeed(context.manager, (batch) => {
        if (!contents.isDestroyed()) contents.send(EVENTS_CHANNEL, batch);
      }),
    );
    if (!watched.has(contents)) {
      watched.add(contents);
      contents.once('destroyed', () => end(contents));
      contents.on('render-process-gone', () => end(contents));
    }
  });
}
