/**
 * Where each identity listens. The classroom gives peer i the port 12000 + i ("for example"):
 * a peer reaches another knowing only its identity, so addresses follow from identities. The
 * book maps both ways, so a message's sender (an address, from the transport) names its identity.
 */
import type { PeerId } from '../machine.ts';
import { IDENTITY_COUNT } from '../protocol/dht.ts';

export const DHT_PORT_BASE_DEFAULT = 12_000;
export const DHT_HOST_DEFAULT = '127.0.0.1';

export class AddressBook {
  readonly #addresses: readonly PeerId[];
  readonly #identities: ReadonlyMap<PeerId, number>;

  /** `addressOf` must give each identity its own address. */
  constructor(addressOf: (identity: number) => PeerId) {
    const addresses: PeerId[] = [];
    const identities = new Map<PeerId, number>();
    for (let identity = 0; identity < IDENTITY_COUNT; identity++) {
      const address = addressOf(identity);
      if (identities.has(address)) throw new RangeError(`identities ${identities.get(address)} and ${identity} share the address ${address}`);
      addresses.push(address);
      identities.set(address, identity);
    }
    this.#addresses = addresses;
    this.#identities = identities;
  }

  /** Peer i at `host`:`portBase + i`. */
  static classroom(host = DHT_HOST_DEFAULT, portBase = DHT_PORT_BASE_DEFAULT): AddressBook {
    return new AddressBook((identity) => `${host}:${portBase + identity}`);
  }

  addressOf(identity: number): PeerId {
    const address = this.#addresses[identity];
    if (address === undefined) throw new RangeError(`${identity} is not an identity: 0 to ${IDENTITY_COUNT - 1}`);
    return address;
  }

  identityOf(address: PeerId): number | undefined {
    return this.#identities.get(address);
  }
}

/** 127.0.0.1:12000 + i: shared by every simulated peer, as the book is read-only. */
export const CLASSROOM_ADDRESSES = AddressBook.classroom();
