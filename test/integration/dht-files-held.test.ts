/**
 * What a real DHT peer says it holds (issue 14, defect 10): the window said 'Files held: none'
 * beside a folder holding 4103.pdf, because the inspection listed only the names a Store had
 * left on the machine's shelf. A file in the peer's folder named NNNN or NNNN.ext is File NNNN,
 * which a Request finds there, so the inspection lists it; a received copy, a hidden file still
 * arriving, a folder and names that are not a file name are not held.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldInFolder } from '../../src/peer/dht/file-folder.ts';
import { DhtPeerProcess } from '../../src/peer/dht/peer-process.ts';
import { generateSecret } from '../../src/peer/secret.ts';
import { dhtInspectionSchema } from '../../src/shared/protocol/control.ts';
import { freePortBase } from '../support/p2p-peers.ts';

let folder: string;
let peer: DhtPeerProcess;
const said: string[] = [];

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'ringside-dht-held-'));
  // Alone on the ring (its own successor), so every Store typed at it is accepted here.
  peer = await DhtPeerProcess.start({
    identity: 8,
    start: { type: 'dht.init', first: 8, second: 8 },
    host: '127.0.0.1',
    portBase: await freePortBase([8]),
    tickMs: 100,
    config: { pingIntervalTicks: 600 },
    secret: generateSecret(),
    folder,
    onLine: (text) => said.push(text),
    onNote: () => undefined,
  });
});

afterAll(async () => {
  await peer?.kill();
  rmSync(folder, { recursive: true, force: true });
});

describe('the files a DHT peer says it holds', () => {
  it('counts 4103.pdf in its folder as File 4103, with the names stored at it, and nothing else', async () => {
    expect((await peer.inspect()).files).toEqual([]);
    writeFileSync(join(folder, '4103.pdf'), 'the classroom file');
    expect((await peer.inspect()).files).toEqual(['4103']);

    for (const name of ['0007', '0007.tar.gz', 'received_2012.pdf', '12345.pdf', '4103 copy.pdf', 'a912.txt', '.received_0042.pdf.0a1b2c3d.part']) writeFileSync(join(folder, name), name);
    mkdirSync(join(folder, '5555'));
    peer.type('Store 2067');
    await expect.poll(() => said.includes('Store 2067 request accepted')).toBe(true);

    const inspection = dhtInspectionSchema.parse(await peer.inspect());
    expect(inspection.files).toEqual(['0007', '2067', '4103']);
    // The folder itself is listed as it is, the received copy among its entries.
    expect(inspection.folder.entries.map((entry) => entry.name)).toEqual(['0007', '0007.tar.gz', '12345.pdf', '4103 copy.pdf', '4103.pdf', 'a912.txt', 'received_2012.pdf']);
  });

  it('reads a file name off an entry whatever its extension, once', () => {
    expect(heldInFolder([{ name: '4103.pdf' }, { name: '4103' }, { name: '4103.PDF' }, { name: '0255.tar.gz' }])).toEqual(['0255', '4103']);
    expect(heldInFolder([{ name: 'received_4103.pdf' }, { name: '410.pdf' }, { name: '41034' }, { name: '4103.' }, { name: '4103 .pdf' }, { name: '' }])).toEqual([]);
  });
});
