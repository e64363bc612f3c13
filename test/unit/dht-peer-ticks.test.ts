/**
 * A real DHT peer counts ticks on the session's clock (slices since the Unix epoch, as the
 * key-value peers and the cluster manager do), so its journal lines land in the session's
 * dbg.log at their real ticks. Counted from its own start, its ticks lay far below the
 * manager's first entry's and every DHT line (the file transfers' notes among them) was
 * written as `[0]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DhtPeerProcess } from '../../src/peer/dht/peer-process.ts';
import { generateSecret } from '../../src/peer/secret.ts';
import { formatSession, type SessionEntry } from '../../src/shared/journal/session.ts';
import { freePortBase } from '../support/p2p-peers.ts';

const TICK_MS = 10;
let folder: string;
let peer: DhtPeerProcess;
let managerTick: number;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'ringside-dht-ticks-'));
  // The manager's first entry of the session (cluster.started), on its clock.
  managerTick = Math.floor(Date.now() / TICK_MS);
  peer = await DhtPeerProcess.start({
    identity: 4,
    start: { type: 'dht.init', first: 4, second: 4 },
    host: '127.0.0.1',
    portBase: await freePortBase([4]),
    tickMs: TICK_MS,
    config: { pingIntervalTicks: 1000 },
    secret: generateSecret(),
    folder,
    onLine: () => undefined,
    onNote: () => undefined,
  });
});

afterAll(async () => {
  await peer.kill();
  rmSync(folder, { recursive: true, force: true });
});

describe("a real DHT peer's ticks", () => {
  it('are tickMs slices since the Unix epoch, in now() and in what inspect answers', async () => {
    const before = Math.floor(Date.now() / TICK_MS);
    const now = peer.now();
    const inspected = (await peer.inspect()).tick;
    const after = Math.floor(Date.now() / TICK_MS);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(inspected).toBeGreaterThanOrEqual(now);
    expect(inspected).toBeLessThanOrEqual(after);
  });

  it("put the peer's lines in the session's dbg.log at their tick since the session's first entry", async () => {
    await new Promise((resolve) => setTimeout(resolve, 6 * TICK_MS));
    const tick = peer.now();
    const entries: SessionEntry[] = [
      { seq: 0, at: managerTick * TICK_MS, event: { kind: 'cluster.started', tick: managerTick, peer: 'manager', epoch: 1, cluster: 'dht', peers: 1, tickMs: TICK_MS } },
      // What the peer journals when a file has left (a `log` note of the transfer), at its tick.
      { seq: 1, at: Date.now(), event: { kind: 'log', tick, peer: peer.id, text: 'sent 0007.pdf (3 bytes) to 127.0.0.1:12002 in 0.01 s' } },
    ];
    const since = tick - managerTick;
    expect(since).toBeGreaterThanOrEqual(5);
    expect(formatSession(entries, 'dbg')).toBe(`131\n\n ${peer.id} [${since}] sent 0007.pdf (3 bytes) to 127.0.0.1:12002 in 0.01 s`);
  });
});
