/**
 * Store and Request, as the classroom has them: the message travels along first successors one
 * hop at a time (with finger tables on, along fingers), each hop printing its line, until the hop
 * before the file's owner marks it for the owner. The owner accepts a Store; the owner of a
 * Request is its holder, as in the classroom, and sends the file straight to the requester.
 */
import type { Tick } from '../machine.ts';
import { HOPS_MAX, type DhtMessage } from '../protocol/dht.ts';
import { inHalfOpen } from './circle.ts';
import type { ConsoleLookup, PeerContext } from './context.ts';
import type { FileShelf } from './file-shelf.ts';
import type { FingerTable } from './fingers.ts';
import { lines } from './lines.ts';
import { fileHash, isFileName } from './placement.ts';

export type Operation = 'store' | 'request';
type Routed = Extract<DhtMessage, { type: 'dht.store' | 'dht.request' }>;

export class Lookups {
  readonly #peer: PeerContext;
  readonly #files: FileShelf;
  readonly #fingers: FingerTable | undefined;
  /** Whether this peer owns `hash`, as far as it knows. */
  readonly #ownsHere: (hash: number, now: Tick) => boolean;

  constructor(peer: PeerContext, files: FileShelf, fingers: FingerTable | undefined, ownsHere: (hash: number, now: Tick) => boolean) {
    this.#peer = peer;
    this.#files = files;
    this.#fingers = fingers;
    this.#ownsHere = ownsHere;
  }

  /** `Store TEXT` or `Request TEXT` typed at this peer. */
  command(operation: Operation, text: string, now: Tick): void {
    if (!isFileName(text)) {
      this.#peer.print(lines.invalidFileName(text), now);
      return;
    }
    if (!this.#peer.isMember()) {
      this.#peer.print(lines.notInRing(`${operation === 'store' ? 'Store' : 'Request'} ${text}`), now);
      return;
    }
    const route = [this.#peer.identity];
    if (this.#ownsHere(fileHash(text), now)) this.#arrive(operation, text, route, now);
    else this.#forward(operation, text, route, now);
  }

  /** The driver found no file for a `dht.file` this peer sent: say so, and tell the requester. */
  fileMissing(file: string, requester: number, now: Tick): void {
    this.#peer.print(lines.fileNotInFolder(file, requester), now);
    this.#peer.send(requester, { type: 'dht.file-missing', file });
  }

  receive(
    from: number,
    message: Extract<DhtMessage, { type: 'dht.store' | 'dht.request' | 'dht.file' | 'dht.file-received' | 'dht.file-missing' }>,
    now: Tick,
  ): void {
    switch (message.type) {
      case 'dht.store':
      case 'dht.request':
        return this.#onRouted(message, now);
      case 'dht.file':
        this.#peer.print(lines.hadFile(from, message.file), now);
        this.#peer.print(lines.receivingFile(message.file, from), now);
        this.#peer.print(lines.fileReceived(message.file), now);
        return this.#peer.send(from, { type: 'dht.file-received', file: message.file });
      case 'dht.file-received':
        return this.#peer.print(lines.fileSent(), now);
      case 'dht.file-missing':
        return this.#peer.print(lines.fileMissingAt(from, message.file), now);
    }
  }

  #onRouted(message: Routed, now: Tick): void {
    const operation = message.type === 'dht.store' ? 'store' : 'request';
    const route = [...message.route, this.#peer.identity];
    if (message.owner || this.#peer.first() === this.#peer.identity) this.#arrive(operation, message.file, route, now);
    else if (route.length > HOPS_MAX) {
      this.#peer.countDropped();
      this.#peer.print(lines.lookupDropped(`${operation === 'store' ? 'Store' : 'Request'} ${message.file}`, route.length - 1), now);
    } else this.#forward(operation, message.file, route, now);
  }

  /** The next hop: the first successor (the owner when the hash lies before it), or a finger. */
  #nextHop(hash: number): { next: number; owner: boolean } {
    const first = this.#peer.first();
    if (inHalfOpen(this.#peer.identity, hash, first)) return { next: first, owner: true };
    return { next: this.#fingers?.closestPreceding(hash) ?? first, owner: false };
  }

  #forward(operation: Operation, file: string, route: number[], now: Tick): void {
    const { next, owner } = this.#nextHop(fileHash(file));
    const lookup: ConsoleLookup = { operation, file, route, hops: route.length - 1 };
    const viaSuccessor = next === this.#peer.first();
    if (operation === 'store') this.#peer.print(viaSuccessor ? lines.storeForwarded(file) : lines.storeForwardedTo(file, next), now, lookup);
    else if (route.length > 1) this.#peer.print(lines.requestNotHere(file), now, lookup);
    else this.#peer.print(viaSuccessor ? lines.requestSent(file) : lines.requestSentTo(file, next), now, lookup);
    this.#peer.send(next, { type: operation === 'store' ? 'dht.store' : 'dht.request', file, owner, route });
  }

  /** At the file's owner. */
  #arrive(operation: Operation, file: string, route: number[], now: Tick): void {
    const lookup: ConsoleLookup = { operation, file, route, hops: route.length - 1 };
    if (operation === 'store') {
      this.#files.add(file);
      this.#peer.print(lines.storeAccepted(file), now, lookup);
      return;
    }
    this.#peer.print(lines.storedHere(file), now, lookup);
    const requester = route[0] as number;
    if (requester === this.#peer.identity) return;
    this.#peer.print(lines.sendingFile(file, requester), now);
    this.#peer.send(requester, { type: 'dht.file', file });
  }
}
