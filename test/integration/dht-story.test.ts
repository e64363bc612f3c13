/**
 * The spec's reference-ring story (specs/classroom-circular-dht.md) with real processes: seven
 * `ringside p2p init` peers over WebSockets, pinging every second; peer 9 quits; Store 2067 at
 * peer 8; peer 15 joins through peer 4; peer 14 is killed (SIGKILL); Request 4103 at peer 2, which
 * receives peer 8's `4103.pdf` byte for byte. Each step checks the printed lines of each process,
 * word for word. As in the simulator's story (test/scenarios/dht-reference-ring.txt), 9 has quit
 * before 15 joins and 14 dies, so where the spec names 9 as 14's predecessor the story has 8.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortBase, inOrder, P2pPeer, sha256Of } from '../support/p2p-peers.ts';

const RING = [2, 4, 5, 8, 9, 14, 19] as const;
const PING_INTERVAL_SECONDS = '1';
/** A successor declared gone within this, at a 1 s interval (the bound is 1 + 3 × 1 s; the spec's, 60 s). */
const DETECTION_MS = 15_000;

const peers = new Map<number, P2pPeer>();
let root: string;
let portBase: number;

function peer(identity: number): P2pPeer {
  const found = peers.get(identity);
  if (found === undefined) throw new Error(`peer ${identity} was not started`);
  return found;
}

function start(identity: number, args: readonly string[]): P2pPeer {
  const folder = join(root, `peer-${identity}`);
  mkdirSync(folder, { recursive: true });
  const started = new P2pPeer(identity, [...args, '--port-base', String(portBase), '--dir', folder]);
  peers.set(identity, started);
  return started;
}

/** Where each peer's lines stand now, to read what follows. */
function marks(): Map<number, number> {
  return new Map([...peers].map(([identity, running]) => [identity, running.lines.length]));
}

/** Waits until peer `identity` says `expected`, one line right after the other (pings left out). */
function says(identity: number, expected: readonly string[], since: Map<number, number>, timeoutMs?: number): Promise<void> {
  const running = peer(identity);
  return running.until(JSON.stringify(expected), () => inOrder(running.linesSince(since.get(identity) ?? 0), expected), timeoutMs);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ringside-dht-story-'));
  portBase = await freePortBase([...RING, 15]);
  for (const [index, identity] of RING.entries()) {
    const first = RING[(index + 1) % RING.length] as number;
    const second = RING[(index + 2) % RING.length] as number;
    start(identity, ['init', String(identity), String(first), String(second), PING_INTERVAL_SECONDS]);
  }
  writeFileSync(join(root, 'peer-8', '4103.pdf'), randomBytes(3 * 1024 * 1024 + 17));
  await Promise.all(RING.map((identity) => peer(identity).listening()));
}, 30_000);

afterAll(async () => {
  for (const running of peers.values()) running.kill();
  await Promise.all([...peers.values()].map((running) => running.exited));
  rmSync(root, { recursive: true, force: true });
});

describe('the reference-ring story with real processes', () => {
  it('every peer pings both successors, and hears from both predecessors (section 2)', async () => {
    await Promise.all(
      RING.map(async (identity, index) => {
        const first = RING[(index + 1) % RING.length] as number;
        const second = RING[(index + 2) % RING.length] as number;
        const before = RING[(index + RING.length - 1) % RING.length] as number;
        const beforeThat = RING[(index + RING.length - 2) % RING.length] as number;
        const lines = peer(identity).lines;
        await peer(identity).until('pings both ways', () =>
          [
            `Ping requests sent to Peers ${first} and ${second}`,
            `Ping response received from Peer ${first}`,
            `Ping response received from Peer ${second}`,
            `Ping request message received from Peer ${before}`,
            `Ping request message received from Peer ${beforeThat}`,
          ].every((line) => lines.includes(line)),
        );
      }),
    );
  });

  it('peer 9 quits: 8 and 5 print the spec\'s lines, 9 exits 0, and 14 then hears from 8 and 5 (section 4)', async () => {
    const since = marks();
    peer(9).type('Quit');
    await says(8, ['Peer 9 will depart from the network', 'My new first successor is Peer 14', 'My new second successor is Peer 19'], since);
    await says(5, ['Peer 9 will depart from the network', 'My new first successor is Peer 8', 'My new second successor is Peer 14'], since);
    expect(await peer(9).exited).toEqual({ code: 0, signal: null });
    const fourteen = peer(14);
    await fourteen.until('pings from 8 and 5', () =>
      ['Ping request message received from Peer 8', 'Ping request message received from Peer 5'].every((line) => fourteen.linesSince(since.get(14) ?? 0, true).includes(line)),
    );
    peers.delete(9);
  });

  it('Store 2067 at peer 8 travels one hop at a time to peer 19 (section 6)', async () => {
    const since = marks();
    peer(8).type('Store 2067');
    await says(19, ['Store 2067 request accepted'], since);
    expect(peer(8).linesSince(since.get(8) ?? 0)).toEqual(['Store 2067 request forwarded to my successor']);
    expect(peer(14).linesSince(since.get(14) ?? 0)).toEqual(['Store 2067 request forwarded to my successor']);
    for (const identity of [2, 4, 5]) expect(peer(identity).linesSince(since.get(identity) ?? 0), `peer ${identity}`).toEqual([]);
  });

  it('peer 15 joins through peer 4 with the spec\'s lines at every peer on the way (section 3)', async () => {
    const since = marks();
    const joiner = start(15, ['join', '15', '4', PING_INTERVAL_SECONDS]);
    await says(15, ['Join request has been accepted', 'My first successor is Peer 19', 'My second successor is Peer 2'], since);
    await says(14, ['Peer 15 Join request received', 'My new first successor is Peer 15', 'My new second successor is Peer 19'], since);
    await says(8, ['Successor Change request received', 'My new first successor is Peer 14', 'My new second successor is Peer 15'], since);
    for (const identity of [4, 5, 8]) expect(peer(identity).linesSince(since.get(identity) ?? 0), `peer ${identity}`).toContain('Peer 15 Join request forwarded to my successor');
    // 15 is in the ring: 14 and 8 ping it.
    await joiner.until('pings from 14 and 8', () =>
      ['Ping request message received from Peer 14', 'Ping request message received from Peer 8'].every((line) => joiner.lines.includes(line)),
    );
  });

  it('peer 14 is killed: its predecessors 8 and 5, and only they, find it no longer alive and repair (section 5)', async () => {
    const since = marks();
    const killedAt = Date.now();
    peer(14).kill('SIGKILL');
    await peer(14).exited;
    peers.delete(14);
    await says(8, ['Peer 14 is no longer alive', 'My new first successor is Peer 15', 'My new second successor is Peer 19'], since, DETECTION_MS);
    await says(5, ['Peer 14 is no longer alive', 'My new first successor is Peer 8', 'My new second successor is Peer 15'], since, DETECTION_MS);
    expect(Date.now() - killedAt).toBeLessThan(DETECTION_MS);
    // Nobody else, and nobody before the kill, declared anyone gone.
    for (const [identity, running] of peers) {
      const gone = running.lines.filter((line) => line.endsWith('is no longer alive'));
      expect(gone, `peer ${identity}`).toEqual(identity === 8 || identity === 5 ? ['Peer 14 is no longer alive'] : []);
      expect(running.lines.slice(0, since.get(identity) ?? 0).filter((line) => line.endsWith('is no longer alive')), `peer ${identity} before the kill`).toEqual([]);
    }
  });

  it('Request 4103 at peer 2: peer 8 sends 4103.pdf straight to peer 2, which saves received_4103.pdf byte for byte (section 7)', async () => {
    // The repaired ring's pings have told 8 that 5 is its predecessor again, so 8 owns hash 7.
    await peer(8).until('a ping from 5 after the repair', () => peer(8).lines.slice(-20).includes('Ping request message received from Peer 5'));
    const since = marks();
    peer(2).type('Request 4103');
    await says(2, ['Peer 8 had File 4103', 'Receiving File 4103 from Peer 8', 'File 4103 received'], since);
    await says(8, ['File 4103 is stored here', 'Sending file 4103 to Peer 2', 'The file has been sent'], since);
    expect(peer(2).linesSince(since.get(2) ?? 0)).toEqual(['File request for 4103 has been sent to my successor', 'Peer 8 had File 4103', 'Receiving File 4103 from Peer 8', 'File 4103 received']);
    for (const identity of [4, 5]) {
      expect(peer(identity).linesSince(since.get(identity) ?? 0), `peer ${identity}`).toEqual(['Request for File 4103 has been received, but the file is not stored here']);
    }
    for (const identity of [15, 19]) expect(peer(identity).linesSince(since.get(identity) ?? 0), `peer ${identity}`).toEqual([]);
    const received = join(root, 'peer-2', 'received_4103.pdf');
    expect(await sha256Of(received)).toBe(await sha256Of(join(root, 'peer-8', '4103.pdf')));
    // Saved under a temporary name first: nothing else is left in the folder.
    expect(readdirSync(join(root, 'peer-2'))).toEqual(['received_4103.pdf']);
    expect(existsSync(join(root, 'peer-8', 'received_4103.pdf'))).toBe(false);
  });

  it('printed nothing on standard output but the spec\'s lines, one per line', () => {
    const specLine =
      /^(Ping requests sent to Peers \d+ and \d+|Ping request message received from Peer \d+|Ping response received from Peer \d+|Peer \d+ Join request (forwarded to my successor|received)|Successor Change request received|Join request has been accepted|My (new )?(first|second) successor is Peer \d+|Peer \d+ will depart from the network|Peer \d+ is no longer alive|Store \d{4} request (forwarded to my successor|accepted)|File request for \d{4} has been sent to my successor|Request for File \d{4} has been received, but the file is not stored here|File \d{4} is stored here|Sending file \d{4} to Peer \d+|The file has been sent|Peer \d+ had File \d{4}|Receiving File \d{4} from Peer \d+|File \d{4} received)$/;
    for (const [identity, running] of peers) expect(running.lines.filter((line) => !specLine.test(line)), `peer ${identity}`).toEqual([]);
  });
});
