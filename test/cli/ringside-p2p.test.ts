/**
 * `ringside p2p` from the outside: bad arguments and a port in use get one clear line and a
 * non-zero exit; a name that is not a file name, an unknown command and a file missing from the
 * holder's folder each get a clear line, and nothing is forwarded or saved that should not be;
 * the end of standard input leaves a peer running; the demo starts the reference ring, forwards
 * typed lines and leaves no child behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectLines, freePortBase, P2pPeer } from '../support/p2p-peers.ts';

const bin = join(import.meta.dirname, '../../bin/ringside.js');
const started: P2pPeer[] = [];
const folders: string[] = [];

function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ringside-p2p-'));
  folders.push(folder);
  return folder;
}

afterAll(async () => {
  for (const peer of started) peer.kill();
  await Promise.all(started.map((peer) => peer.exited));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function ringside(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, input: '' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A ring of two real peers, 2 and 7, each in a folder of its own; resolves once each has pinged the other. */
async function ringOfTwo(): Promise<{ two: P2pPeer; seven: P2pPeer; folders: { two: string; seven: string } }> {
  const portBase = await freePortBase([2, 7]);
  const folders = { two: temporaryFolder(), seven: temporaryFolder() };
  const two = new P2pPeer(2, ['init', '2', '7', '2', '1', '--port-base', String(portBase), '--dir', folders.two]);
  const seven = new P2pPeer(7, ['init', '7', '2', '7', '1', '--port-base', String(portBase), '--dir', folders.seven]);
  started.push(two, seven);
  await two.said('Ping request message received from Peer 7');
  await seven.said('Ping request message received from Peer 2');
  return { two, seven, folders };
}

describe('ringside p2p: bad arguments', () => {
  for (const [what, args, message] of [
    ['a peer above 255', ['init', '256', '4', '5', '30'], "'256' is not a peer: a peer is a whole number from 0 to 255."],
    ['a peer that is not a number', ['join', 'two', '4', '30'], "'two' is not a peer"],
    ['a negative successor', ['init', '2', '-4', '5', '30'], ''],
    ['a zero ping interval', ['init', '2', '4', '5', '0'], "'0' is not a ping interval: a positive number of seconds"],
    ['a ping interval that is not a number', ['join', '15', '4', 'soon'], "'soon' is not a ping interval"],
    ['a missing argument', ['init', '2', '4', '5'], "missing required argument 'PING_INTERVAL'"],
    ['an argument too many', ['init', '2', '4', '5', '30', '8'], "too many arguments for 'init'"],
    ['an unknown p2p command', ['start', '2'], "unknown p2p command 'start' (commands: init, join, demo)"],
    ['no p2p command', [], 'say what to do: ringside p2p init | join | demo'],
    ['a port base with no room for peer 255', ['init', '2', '4', '5', '30', '--port-base', '65500'], "'65500' is not a port base"],
    ['a folder that does not exist', ['init', '2', '4', '5', '30', '--dir', '/nonexistent/folder'], 'error: --dir /nonexistent/folder is not a folder'],
  ] as const) {
    it(`refuses ${what} with one line and exit 2`, () => {
      const result = ringside('p2p', ...args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
      expect(result.stderr).toContain(message);
    });
  }

  it('says when its port is in use, in one line, and exits 1', async () => {
    const portBase = await freePortBase([2]);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(portBase + 2, '127.0.0.1', resolve));
    try {
      const result = ringside('p2p', 'init', '2', '4', '5', '1', '--port-base', String(portBase));
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`error: port ${portBase + 2} on 127.0.0.1 is in use (is peer 2 running already?): stop that, or give every peer another --port-base\n`);
      expect(result.stderr.split('\n').filter((line) => line.startsWith('error'))).toHaveLength(1);
    } finally {
      server.close();
    }
  });
});

describe('ringside p2p: a running peer', () => {
  it('refuses a name that is not four digits and forwards nothing; says what it accepts for an unknown command', async () => {
    const { two, seven } = await ringOfTwo();
    const since = { two: two.lines.length, seven: seven.lines.length };
    two.type('Store a912');
    two.type('Request 32134');
    two.type('Fetch 4103');
    two.type('');
    // Then a good one, so we know when everything before it has been handled, here and at 7.
    two.type('Store 0007');
    await seven.said('Store 0007 request accepted', since.seven);
    expect(two.linesSince(since.two)).toEqual([
      '"a912" is not a valid file name: a file name is exactly four digits, 0000 to 9999 (nothing was sent)',
      '"32134" is not a valid file name: a file name is exactly four digits, 0000 to 9999 (nothing was sent)',
      'Unknown command "Fetch 4103": type Store NNNN, Request NNNN or Quit',
      'Store 0007 request forwarded to my successor',
    ]);
    expect(seven.linesSince(since.seven)).toEqual(['Store 0007 request accepted']);
  });

  it('says at both ends when the holder\'s folder has no such file, and saves nothing', async () => {
    const { two, seven, folders } = await ringOfTwo();
    two.type('Request 0007');
    await two.said('Peer 7 had File 0007, but not in its folder: nothing was received');
    expect(two.linesSince(0)).toEqual(['File request for 0007 has been sent to my successor', 'Peer 7 had File 0007, but not in its folder: nothing was received']);
    expect(seven.linesSince(0)).toEqual(['File 0007 is stored here', 'Sending file 0007 to Peer 2', 'File 0007 is not in my folder (no file named 0007 or 0007.*): nothing was sent to Peer 2']);
    expect(readdirSync(folders.two)).toEqual([]);
  });

  it('keeps running when its standard input ends; Quit exits 0, SIGTERM leaves at once (143)', async () => {
    const { two, seven } = await ringOfTwo();
    two.child.stdin?.end();
    await two.until('the note that it keeps running', () => two.notes.some((note) => note.startsWith('standard input closed: peer 2 keeps running')));
    const since = seven.lines.length;
    await seven.said('Ping request message received from Peer 2', since);
    expect(two.child.exitCode).toBe(null);
    two.kill('SIGTERM');
    expect(await two.exited).toEqual({ code: 143, signal: null });
    seven.type('Quit');
    expect(await seven.exited).toEqual({ code: 0, signal: null });
    // Killed, 2 told no one; 7 quit with no one left to tell.
    expect(seven.lines.filter((line) => line.includes('depart'))).toEqual([]);
  });
});

describe('ringside p2p --fingers', () => {
  /** Peers 0, 64, 128 and 192 with fast ticks; resolves once each has been pinged by its predecessor. */
  async function ringOfFour(fingers: boolean): Promise<Map<number, P2pPeer>> {
    const ring = [0, 64, 128, 192];
    const portBase = await freePortBase(ring);
    const folder = temporaryFolder();
    const peers = new Map<number, P2pPeer>();
    ring.forEach((identity, index) => {
      const [first, second] = [ring[(index + 1) % 4], ring[(index + 2) % 4]] as [number, number];
      const args = ['init', String(identity), String(first), String(second), '1', '--tick-ms', '20', '--port-base', String(portBase), '--dir', folder];
      const peer = new P2pPeer(identity, fingers ? [...args, '--fingers'] : args);
      started.push(peer);
      peers.set(identity, peer);
    });
    await Promise.all(ring.map((identity, index) => peers.get(identity)?.said(`Ping request message received from Peer ${ring[(index + 3) % 4]}`)));
    return peers;
  }

  it('routes Store along fingers when asked (0 → 128 → 192 for hash 150), along first successors by default', async () => {
    const [chord, classroom] = await Promise.all([ringOfFour(true), ringOfFour(false)]);
    const at = (peers: Map<number, P2pPeer>, identity: number): P2pPeer => peers.get(identity) as P2pPeer;
    expect(at(chord, 0).notes.some((note) => note.includes('finger tables on'))).toBe(true);
    expect(at(classroom, 0).notes.some((note) => note.includes('finger tables on'))).toBe(false);

    // Finger 7 of peer 0 (the owner of 128) is looked up a moment after the start: store until it is used.
    const fingerLine = 'Store 0150 request forwarded to Peer 128';
    for (let tries = 0; !at(chord, 0).lines.includes(fingerLine) && tries < 60; tries++) {
      at(chord, 0).type('Store 0150');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(at(chord, 0).lines).toContain(fingerLine);
    await at(chord, 128).said('Store 0150 request forwarded to my successor');
    await at(chord, 192).said('Store 0150 request accepted');

    at(classroom, 0).type('Store 0150');
    await at(classroom, 192).said('Store 0150 request accepted');
    expect(at(classroom, 0).linesSince(0)).toEqual(['Store 0150 request forwarded to my successor']);
    expect(at(classroom, 64).linesSince(0)).toEqual(['Store 0150 request forwarded to my successor']);
    expect(at(classroom, 128).linesSince(0)).toEqual(['Store 0150 request forwarded to my successor']);
  }, 30_000);
});

describe('ringside p2p demo', () => {
  it('starts the reference ring, names each line\'s peer, forwards typed lines, and leaves no child behind', async () => {
    const portBase = await freePortBase([2, 4, 5, 8, 9, 14, 19]);
    const demo = spawn(process.execPath, [bin, 'p2p', 'demo', '--interval', '1', '--port-base', String(portBase), '--dir', temporaryFolder()], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: string[] = [];
    const err: string[] = [];
    const waiters = new Set<() => void>();
    collectLines(demo.stdout, (line) => {
      out.push(line);
      for (const waiter of waiters) waiter();
    });
    collectLines(demo.stderr, (line) => {
      err.push(line);
      for (const waiter of waiters) waiter();
    });
    const until = (check: () => boolean): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; out:\n${out.slice(-30).join('\n')}\nerr:\n${err.join('\n')}`)), 15_000);
        const waiter = (): void => {
          if (!check()) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve();
        };
        waiters.add(waiter);
        waiter();
      });
    const exited = new Promise<number | null>((resolve) => demo.on('exit', (code) => resolve(code)));
    try {
      expect(err.length === 0 || err[0]?.startsWith('demo:')).toBe(true);
      await until(() => out.includes('[peer 2] Ping requests sent to Peers 4 and 5') && out.includes('[peer 19] Ping response received from Peer 4'));
      expect(err).toContain(
        'demo: type: PEER Store NNNN | PEER Request NNNN | PEER Quit | kill PEER | join PEER KNOWN | init PEER S1 S2 | peers | help | exit (or Ctrl-C)',
      );
      demo.stdin.write('8 Store 2067\n');
      await until(() => out.includes('[peer 19] Store 2067 request accepted'));
      expect(out).toContain('[peer 8] Store 2067 request forwarded to my successor');
      demo.stdin.write('kill 14\n');
      await until(() => out.includes('[peer 14] stopped at once (SIGINT)'));
      demo.stdin.write('bogus\n');
      await until(() => err.some((line) => line.startsWith('demo: "bogus" is not a demo command')));
      demo.stdin.write('peers\n');
      await until(() => err.some((line) => line.startsWith('demo: running: ')));
      const pids = [...(err.find((line) => line.startsWith('demo: running: ')) ?? '').matchAll(/\(pid (\d+)\)/g)].map((match) => Number(match[1]));
      expect(pids).toHaveLength(6);
      demo.stdin.write('exit\n');
      expect(await exited).toBe(0);
      for (const pid of pids) expect(() => process.kill(pid, 0), `pid ${pid}`).toThrow();
    } finally {
      demo.kill('SIGKILL');
    }
  }, 60_000);
});
