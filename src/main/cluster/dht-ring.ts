/**
 * What a session needs to run circular DHT peers beyond what every peer needs: the ring's port
 * base (peer i listens on base + i, `dht-ports.ts`), the working folders (`dht-folders.ts`), the
 * settings every peer of a ring shares, and the launch arguments of one peer.
 */
import type { SessionJournal } from './journal.ts';
import { ticksFromSeconds } from '../../shared/dht/config.ts';
import { dhtLaunchArgs } from '../../peer/dht/launch.ts';
import { DhtFolders } from './dht-folders.ts';
import { freePortBase } from './dht-ports.ts';

/** What every peer of one ring must agree on besides the tick. */
export interface DhtSettings {
  /** The classroom's ping interval, in seconds (`p2p init 2 4 5 30`). */
  readonly pingIntervalSeconds: number;
  /** Beyond the classroom: Chord finger tables, so lookups take O(log N) hops. */
  readonly fingers: boolean;
}

export interface DhtRingOptions {
  readonly host: string;
  /** Peer i listens on base + i; default: a free block picked at random when the first peer starts. */
  readonly portBase?: number | undefined;
  /** Where the working folders go; default: a temporary folder removed at shutdown. */
  readonly folder?: string | undefined;
}

export class DhtRing {
  readonly folders: DhtFolders;
  readonly #host: string;
  readonly #given: number | undefined;
  #portBase: number | undefined;

  constructor(options: DhtRingOptions) {
    this.#host = options.host;
    this.#given = options.portBase;
    this.#portBase = options.portBase;
    this.folders = new DhtFolders(options.folder);
  }

  /** The port base, once picked (undefined before the first DHT peer starts). */
  get portBase(): number | undefined {
    return this.#portBase;
  }

  /** Picks the port base if it is not yet: every peer of the session's rings uses the same one. */
  async ensurePortBase(): Promise<number> {
    this.#portBase ??= await freePortBase(this.#host);
    return this.#portBase;
  }

  /**
   * Forgets a port base it picked (not one it was given), so the next ring gets another: for when
   * a port of this one was taken meanwhile. Only while no DHT peer lives. Says whether it did.
   */
  forgetPortBase(): boolean {
    if (this.#given !== undefined) return false;
    this.#portBase = undefined;
    return true;
  }

  /** The peer entry's arguments for peer `identity` (call `ensurePortBase` first). */
  launchArgs(identity: number, tickMs: number, settings: DhtSettings): string[] {
    if (this.#portBase === undefined) throw new Error('the DHT port base is not picked yet');
    return dhtLaunchArgs({
      identity,
      host: this.#host,
      portBase: this.#portBase,
      tickMs,
      pingIntervalTicks: ticksFromSeconds(settings.pingIntervalSeconds, tickMs),
      fingers: settings.fingers,
      folder: this.folders.folderOf(identity),
    });
  }
}

/**
 * Resolves with the first console line of `peer` that `matches`, journaled from now on, or with
 * undefined after `timeoutMs`.
 */
export function nextConsoleLine(journal: SessionJournal, peer: string, matches: (text: string) => boolean, timeoutMs: number): { line: Promise<string | undefined>; cancel: () => void } {
  let cancel: () => void = () => undefined;
  const line = new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const unsubscribe = journal.subscribe((entry) => {
      if (entry.event.kind === 'console' && entry.event.peer === peer && matches(entry.event.text)) finish(entry.event.text);
    });
    const finish = (text: string | undefined): void => {
      clearTimeout(timer);
      unsubscribe();
      resolve(text);
    };
    cancel = () => finish(undefined);
  });
  return { line, cancel };
}
