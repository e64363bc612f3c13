/**
 * What the window does to a running circular DHT, through each peer's control connection: read
 * what a peer believes (one peer, or the whole ring at once for the ring view), type a line on
 * its console (Store, Request, Quit), and put a file in its working folder so that a Request has
 * bytes to send. The cluster manager exposes these as `manager.dht`.
 */
import type { DhtFilePut } from '../../shared/api/bridge.ts';
import { dhtInspectionSchema, dhtTypedSchema, type DhtInspection, type DhtTyped } from '../../shared/protocol/control.ts';
import { fileNameSchema } from '../../shared/protocol/dht.ts';
import { folderFileNameSchema } from '../../shared/protocol/dht-transfer.ts';
import { sampleFile, type DhtFolders } from './dht-folders.ts';
import type { PeerSummary } from './manager.ts';
import type { PeerClient } from './peer-client.ts';

/** How long the ring view waits for one peer's inspection. */
const RING_INSPECT_TIMEOUT_MS = 3000;

/** What the operations need of the manager. */
export interface DhtOperationsHost {
  /** Throws, in words, unless the cluster runs the circular DHT. */
  requireDht(): void;
  /** The control connection of a peer that can answer, or a clear error. */
  client(id: string): PeerClient;
  runningPeers(): PeerSummary[];
  /** The identity of a DHT peer of this session, or a clear error. */
  identityOf(id: string): number;
  readonly folders: DhtFolders;
}

export class DhtOperationsError extends Error {
  override readonly name = 'DhtOperationsError';
}

export class DhtOperations {
  readonly #host: DhtOperationsHost;

  constructor(host: DhtOperationsHost) {
    this.#host = host;
  }

  /** Successors, predecessors, files held, fingers, the working folder and counters of one peer. */
  async inspect(id: string): Promise<DhtInspection> {
    this.#host.requireDht();
    return dhtInspectionSchema.parse(await this.#host.client(id).request({ type: 'inspect' }));
  }

  /** Every running DHT peer's inspection, by identity: the ring as each peer believes it. Silent peers are left out. */
  async ring(): Promise<DhtInspection[]> {
    this.#host.requireDht();
    const inspections = await Promise.all(
      this.#host.runningPeers().map(async (peer) => {
        try {
          return dhtInspectionSchema.parse(await this.#host.client(peer.id).request({ type: 'inspect' }, RING_INSPECT_TIMEOUT_MS));
        } catch {
          return undefined;
        }
      }),
    );
    return inspections.filter((inspection) => inspection !== undefined).sort((a, b) => a.identity - b.identity);
  }

  /** A line typed on peer `id`'s console, as it is: a refused one prints the peer's refusal line. */
  async type(id: string, line: string): Promise<DhtTyped> {
    this.#host.requireDht();
    return dhtTypedSchema.parse(await this.#host.client(id).request({ type: 'type', line }));
  }

  /** `Store NNNN` at peer `id`; a name that is not four digits is refused here, before it is typed. */
  async store(id: string, file: string): Promise<DhtTyped> {
    return this.type(id, `Store ${checkFileName(file)}`);
  }

  /** `Request NNNN` at peer `id`: the holder sends the file to `id`'s folder as `received_NNNN.ext`. */
  async request(id: string, file: string): Promise<DhtTyped> {
    return this.type(id, `Request ${checkFileName(file)}`);
  }

  /**
   * Puts a file in peer `id`'s working folder (`NNNN.ext`), for a Request to find: `content`, or
   * a sample text when none is given. The peer need not be running.
   */
  putFile(id: string, name: string, content?: Uint8Array): DhtFilePut {
    this.#host.requireDht();
    const identity = this.#host.identityOf(id);
    const parsed = folderFileNameSchema.safeParse(name);
    if (!parsed.success) throw new DhtOperationsError(`"${name.slice(0, 40)}": ${parsed.error.issues[0]?.message ?? 'not a file name'}`);
    const bytes = content ?? sampleFile(name, identity);
    try {
      return { peer: id, name, path: this.#host.folders.put(identity, name, bytes), bytes: bytes.byteLength };
    } catch (error) {
      throw new DhtOperationsError(`cannot put ${name} in peer ${identity}'s folder: ${(error as Error).message}`);
    }
  }
}

function checkFileName(file: string): string {
  if (!fileNameSchema.safeParse(file).success) throw new DhtOperationsError(`"${file.slice(0, 40)}" is not a file name: a file name is exactly four digits, 0000 to 9999`);
  return file;
}
