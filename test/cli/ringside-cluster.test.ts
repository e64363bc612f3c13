/**
 * The real-peer commands from the outside: `ringside peer` prints its ready line and leaves on
 * SIGTERM with exit 0; `ringside put/get/del/members --via` talk to it; bad input gets one clear
 * line and a non-zero exit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseReadyLine } from '../../src/shared/protocol/control.ts';

const bin = join(import.meta.dirname, '../../bin/ringside.js');
/** Where the commands run, as a user's folder: peers keep their stores under ringside-data/ here. */
const workFolder = mkdtempSync(join(tmpdir(), 'ringside-cli-'));
afterAll(() => rmSync(workFolder, { recursive: true, force: true }));

function ringside(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, cwd: workFolder });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ringside peer and the one-shot client commands', () => {
  it('starts a peer, answers put/get/del/members through it, and leaves on SIGTERM with exit 0', async () => {
    // Three peers so the ring (N = 3) places keys.
    const children = [] as ReturnType<typeof spawn>[];
    const ready = async (args: string[]): Promise<string> => {
      const child = spawn(process.execPath, [bin, 'peer', '--listen', '127.0.0.1:0', '--no-redis', '--tick-ms', '50', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: workFolder });
      children.push(child);
      return new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk) => {
          out += String(chunk);
          const info = out.split('\n').map(parseReadyLine).find((line) => line !== undefined);
          if (info !== undefined) resolve(info.id);
        });
        child.on('exit', (code) => reject(new Error(`peer exited with ${code}`)));
      });
    };
    const first = await ready([]);
    await ready(['--join', first]);
    await ready(['--join', first]);
    // Each peer keeps its store on disk, in a folder named after its address.
    expect(readdirSync(join(workFolder, 'ringside-data'))).toContain(first.replace(':', '-'));
    expect(existsSync(join(workFolder, 'ringside-data', first.replace(':', '-'), 'store.sqlite'))).toBe(true);
    try {
      let put = ringside('put', 'colour', 'blue', '--via', first);
      for (let attempt = 0; put.status !== 0 && attempt < 40; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        put = ringside('put', 'colour', 'blue', '--via', first);
      }
      expect(put.status).toBe(0);
      expect(put.stdout).toMatch(/^OK: put colour \(replicas: /);
      expect(ringside('get', 'colour', '--via', first)).toMatchObject({ status: 0, stdout: 'blue\n' });
      expect(ringside('del', 'colour', '--via', first).status).toBe(0);
      expect(ringside('get', 'colour', '--via', first)).toMatchObject({ status: 1, stderr: 'colour: no such key\n' });
      const members = ringside('members', '--via', first);
      expect(members.status).toBe(0);
      expect(members.stdout.match(/ alive /g)).toHaveLength(3);
    } finally {
      const exits = children.map((child) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))));
      for (const child of children) child.kill('SIGTERM');
      expect(await Promise.all(exits)).toEqual([0, 0, 0]);
    }
  }, 60_000);

  it('says clearly when a port is in use, an address is malformed, or nothing listens', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const busy = ringside('peer', '--listen', `127.0.0.1:${port}`);
      // Its own status, so a manager that picked the port picks another.
      expect(busy.status).toBe(3);
      expect(busy.stderr).toContain(`error: port ${port} on 127.0.0.1 is in use`);
    } finally {
      blocker.close();
    }
    const malformed = ringside('peer', '--listen', 'nowhere');
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain("'nowhere' is not HOST:PORT");
    const nobody = ringside('get', 'k', '--via', '127.0.0.1:1');
    expect(nobody).toMatchObject({ status: 1, stderr: 'error: nothing listens on 127.0.0.1:1 (is the peer running?)\n' });
    const noVia = ringside('put', 'k', 'v');
    expect(noVia.status).toBe(2);
    expect(noVia.stderr).toContain("required option '--via <host:port>' not specified");
    const exposed = ringside('peer', '--listen', '0.0.0.0:0');
    expect(exposed.status).toBe(2);
    expect(exposed.stderr).toContain('needs a shared secret');
  });

  it('leaves no orphan peer when the cluster command is killed, and its journal reads back', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'ringside-cli-'));
    try {
      const journal = join(folder, 'session.ndjson');
      // Its data folder is named, so that this test removes what a killed command cannot.
      const cluster = spawn(process.execPath, [bin, 'cluster', '--peers', '2', '--tick-ms', '50', '--journal', journal, '--data', join(folder, 'data')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      let out = '';
      cluster.stderr.on('data', (chunk) => (err += String(chunk)));
      cluster.stdout.on('data', (chunk) => (out += String(chunk)));
      const deadline = Date.now() + 30_000;
      while (!/pid (\d+).*\n.*pid (\d+)/.test(err) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(out).toMatch(/^Ringside cluster: 2 peers\. Redis ports: \d+, \d+$/m);
      const pids = [...err.matchAll(/pid (\d+)/g)].map((match) => Number(match[1])).slice(0, 2);
      expect(pids).toHaveLength(2);
      // Killed once the peers have met (a join is journaled), so that the dbg.log below has a line.
      const joined = (): boolean => existsSync(journal) && readFileSync(journal, 'utf8').includes('"member.added"');
      while (!joined() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(joined()).toBe(true);
      cluster.kill('SIGKILL');
      const alive = (pid: number): boolean => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const gone = Date.now() + 15_000;
      while (pids.some(alive) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(pids.filter(alive)).toEqual([]);

      // The journal was on disk as it happened: it reads back, and a damaged line is reported.
      writeFileSync(journal, 'damaged line\n', { flag: 'a' });
      const text = ringside('journal', journal);
      expect(text.status).toBe(0);
      expect(text.stdout).toMatch(/Z {2}127\.0\.0\.1:\d+ {2}process \d+ started/);
      expect(text.stderr).toMatch(/1 lines are not journal entries and were skipped \(line \d+: not JSON\)/);
      const dbg = ringside('journal', journal, '--format', 'dbg');
      expect(dbg.stdout).toMatch(/^131\n\n 127\.0\.0\.1:\d+ \[\d+\] Node 127\.0\.0\.1:\d+ joined at time \d+/);
      expect(ringside('journal', join(folder, 'missing.ndjson'))).toMatchObject({ status: 2, stderr: expect.stringContaining('no such file') });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }, 60_000);
});
