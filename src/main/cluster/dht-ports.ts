/**
 * Where a session's circular DHT peers listen. A DHT peer reaches another knowing only its
 * identity (the classroom's port 12000 + i), so every peer of a ring shares one port base and
 * peer i listens on base + i. The manager picks a base whose 256 ports are all free now, at random
 * below the ephemeral ports (32768 on Linux, where outgoing connections take theirs), so two
 * sessions, a `ringside p2p demo` (12000 on) and a test run side by side seldom meet; when two
 * pick overlapping bases at once, a peer finds its port taken and the manager picks again.
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';
import { IDENTITY_COUNT } from '../../shared/protocol/dht.ts';

const BASE_MIN = 20_000;
const BASE_MAX = 32_768 - IDENTITY_COUNT;
/** Bases tried before giving up. */
const ATTEMPTS_MAX = 20;

const EVERY_IDENTITY = Array.from({ length: IDENTITY_COUNT }, (_, identity) => identity);

/**
 * A port base on `host` with the ports of `identities` (default: every identity) free; rejects
 * in words when none is found. Tests and benchmarks that run a few peers ask for theirs only.
 */
export async function freePortBase(host: string, identities: readonly number[] = EVERY_IDENTITY): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const base = randomInt(BASE_MIN, BASE_MAX + 1);
    const free = await Promise.all(identities.map((identity) => portIsFree(host, base + identity)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no block of ${identities.length} free ports found on ${host} between ${BASE_MIN} and ${BASE_MAX + IDENTITY_COUNT} after ${ATTEMPTS_MAX} tries`);
}

export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
