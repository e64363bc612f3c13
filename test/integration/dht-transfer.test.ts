/**
 * A large file between two real `ringside p2p` peers: 100 MiB of pseudo-random bytes in the
 * holder's folder arrive byte for byte (sha256) in the requester's, streamed in chunks.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePortBase, P2pPeer, sha256Of } from '../support/p2p-peers.ts';

const FILE_BYTES = 100 * 1024 * 1024;
const started: P2pPeer[] = [];
const root = mkdtempSync(join(tmpdir(), 'ringside-dht-transfer-'));

afterAll(async () => {
  for (const peer of started) peer.kill();
  await Promise.all(started.map((peer) => peer.exited));
  rmSync(root, { recursive: true, force: true });
});

/** Written a chunk at a time, as a large file should be. */
async function writeRandomFile(path: string, bytes: number): Promise<void> {
  const out = createWriteStream(path);
  for (let written = 0; written < bytes; written += 1024 * 1024) {
    if (!out.write(randomBytes(Math.min(1024 * 1024, bytes - written)))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

describe('a file of 100 MiB between two real peers', () => {
  it('arrives byte for byte, saved as received_0007.bin', async () => {
    const holderFolder = join(root, 'peer-7');
    const requesterFolder = join(root, 'peer-2');
    mkdirSync(holderFolder);
    mkdirSync(requesterFolder);
    await writeRandomFile(join(holderFolder, '0007.bin'), FILE_BYTES);
    const portBase = await freePortBase([2, 7]);
    const options = ['--port-base', String(portBase)];
    const requester = new P2pPeer(2, ['init', '2', '7', '2', '1', ...options, '--dir', requesterFolder]);
    const holder = new P2pPeer(7, ['init', '7', '2', '7', '1', ...options, '--dir', holderFolder]);
    started.push(requester, holder);
    await Promise.all([requester.listening(), holder.listening()]);
    // Each has heard from the other, so 7 knows 2 is its predecessor (and owns hash 7).
    await holder.said('Ping request message received from Peer 2');

    const startedAt = performance.now();
    requester.type('Request 0007');
    await requester.said('File 0007 received', 0, 60_000);
    const seconds = (performance.now() - startedAt) / 1000;
    await holder.said('The file has been sent');

    expect(requester.linesSince(0)).toEqual(['File request for 0007 has been sent to my successor', 'Peer 7 had File 0007', 'Receiving File 0007 from Peer 7', 'File 0007 received']);
    expect(holder.linesSince(0)).toEqual(['File 0007 is stored here', 'Sending file 0007 to Peer 2', 'The file has been sent']);
    expect(readdirSync(requesterFolder)).toEqual(['received_0007.bin']);
    expect(await sha256Of(join(requesterFolder, 'received_0007.bin'))).toBe(await sha256Of(join(holderFolder, '0007.bin')));
    // The peers' own measure of the transfer, for the record.
    console.log(`100 MiB: ${seconds.toFixed(2)} s from Request to "File 0007 received"; ${requester.notes.find((note) => note.startsWith('saved '))}`);
  }, 90_000);
});
