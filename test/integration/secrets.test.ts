/**
 * Secrets that are real. A cluster started without a secret gets a fresh random one, kept in a
 * file only its user can read; this user's command-line clients find it; a program that does not
 * have it (another user's, simulated by another registry folder) cannot read a key, and a peer
 * started with the old public development secret cannot join. Run with real processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager, type PeerSummary } from '../../src/main/cluster/manager.ts';
import { clientSecret, generateSecret, peerRegistryName, peerSecret, registerSecret, registryPath, runtimeDir, SecretError } from '../../src/peer/secret.ts';
import { parseReadyLine } from '../../src/shared/protocol/control.ts';
import { sleep, waitFor } from '../support/cluster.ts';

const bin = join(import.meta.dirname, '../../bin/ringside.js');
/** The public secret every Ringside used on loopback before: it must open nothing now. */
const OLD_PUBLIC_SECRET = 'ringside-loopback-development-secret';
const outsiderDir = mkdtempSync(join(tmpdir(), 'ringside-outsider-'));
let manager: ClusterManager;
let peers: PeerSummary[];

function ringside(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, cwd: outsiderDir, env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Another user of this machine: their own (empty) registry, and no RINGSIDE_SECRET. */
const outsider: NodeJS.ProcessEnv = { RINGSIDE_RUNTIME_DIR: join(outsiderDir, 'registry'), RINGSIDE_SECRET: '' };

beforeAll(async () => {
  manager = new ClusterManager({ tickMs: 50, redis: false });
  peers = await manager.start(3);
}, 60_000);

afterAll(async () => {
  await manager?.shutdown({ timeoutMs: 5000 });
  rmSync(outsiderDir, { recursive: true, force: true });
}, 60_000);

describe('a cluster started without a secret', () => {
  it('has a fresh random secret, in a file only its user can read, removed when it stops', async () => {
    const other = new ClusterManager({ redis: false });
    try {
      expect(manager.secret).toMatch(/^[0-9a-f]{48}$/);
      expect(other.secret).not.toBe(manager.secret);
      const file = manager.secretFile as string;
      expect(readFileSync(file, 'utf8')).toBe(`${manager.secret}\npid ${process.pid}\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(runtimeDir()).mode & 0o777).toBe(0o700);
      // Each peer records its address's secret there too, for this user's clients.
      for (const peer of peers) {
        const path = registryPath(peerRegistryName(peer.id));
        expect(statSync(path).mode & 0o777).toBe(0o600);
        expect(readFileSync(path, 'utf8')).toBe(`${manager.secret}\npid ${peer.pid}\n`);
      }
    } finally {
      await other.shutdown();
    }
    expect(() => statSync(other.secretFile as string)).toThrow();
  });

  it('answers this user\'s clients, which find the secret themselves', async () => {
    const via = (peers[0] as PeerSummary).id;
    let put = ringside(['put', 'owner', 'me', '--via', via]);
    for (let attempt = 0; put.status !== 0 && attempt < 40; attempt++) {
      await sleep(250);
      put = ringside(['put', 'owner', 'me', '--via', via]);
    }
    expect(put).toMatchObject({ status: 0 });
    expect(ringside(['get', 'owner', '--via', via])).toMatchObject({ status: 0, stdout: 'me\n' });
    // --secret-file with the session's file works from anywhere.
    expect(ringside(['get', 'owner', '--via', via, '--secret-file', manager.secretFile as string], outsider)).toMatchObject({ status: 0, stdout: 'me\n' });
  }, 30_000);

  it('refuses a client without the secret, and one with the old public secret', () => {
    const via = (peers[1] as PeerSummary).id;
    const none = ringside(['get', 'owner', '--via', via], outsider);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`no secret for ${via}`);
    expect(none.stdout).toBe('');
    const old = ringside(['get', 'owner', '--via', via], { ...outsider, RINGSIDE_SECRET: OLD_PUBLIC_SECRET });
    expect(old.status).toBe(1);
    expect(old.stderr).toContain('refused the secret');
    expect(old.stdout).toBe('');
  });

  it('does not let a peer with the old public secret join', async () => {
    const via = (peers[0] as PeerSummary).id;
    const intruder = spawn(process.execPath, [bin, 'peer', '--listen', '127.0.0.1:0', '--no-redis', '--memory', '--tick-ms', '50', '--join', via], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: outsiderDir,
      env: { ...process.env, ...outsider, RINGSIDE_SECRET: OLD_PUBLIC_SECRET },
    });
    let err = '';
    intruder.stderr.on('data', (chunk) => (err += String(chunk)));
    try {
      const id = await new Promise<string>((resolve, reject) => {
        let out = '';
        intruder.stdout.on('data', (chunk) => {
          out += String(chunk);
          const info = out.split('\n').map(parseReadyLine).find((line) => line !== undefined);
          if (info !== undefined) resolve(info.id);
        });
        intruder.on('exit', (code) => reject(new Error(`the intruder exited with ${code}: ${err}`)));
      });
      // Give it time to try (many ticks of 50 ms); the cluster's peers never list it.
      await sleep(3000);
      for (const peer of peers) {
        const members = await manager.views().then((views) => views.get(peer.id) ?? []);
        expect(members.map((member) => member.id)).not.toContain(id);
      }
      const refused = await waitFor('the refusal counted', async () => {
        const inspection = await manager.inspect(via);
        return (inspection.counters.transport.framesRefused['unauthenticated'] ?? 0) > 0 ? true : undefined;
      }, { timeoutMs: 10_000 });
      // The intruder says why it is alone.
      expect(err).toContain('refused the secret');
      expect(refused).toBe(true);
    } finally {
      intruder.kill('SIGKILL');
    }
  }, 30_000);

  it('a peer started by hand without a secret makes one; a peer without it cannot join', () => {
    const registry = { RINGSIDE_RUNTIME_DIR: join(outsiderDir, 'hand') };
    const made = peerSecret({ host: '127.0.0.1' }, registry);
    expect(made.source).toBe('generated');
    expect(made.secret).toMatch(/^[0-9a-f]{48}$/);
    expect(() => peerSecret({ host: '0.0.0.0' }, registry)).toThrow(SecretError);
    expect(() => peerSecret({ host: '127.0.0.1', registryNames: [peerRegistryName('127.0.0.1:9')] }, registry)).toThrow(/no secret for the group to join/);
    expect(() => clientSecret(undefined, '127.0.0.1:9', registry)).toThrow(/no secret for 127\.0\.0\.1:9/);
    const file = join(outsiderDir, 'short');
    writeFileSync(file, 'short\n');
    expect(() => clientSecret(file, '127.0.0.1:9', registry)).toThrow(/too short/);
  });
});

describe("this user's secret registry", () => {
  it('ignores and removes a record left by a process that died, and refuses a folder others can read', () => {
    const base = mkdtempSync(join(tmpdir(), 'ringside-registry-'));
    try {
      const env = { RINGSIDE_RUNTIME_DIR: join(base, 'registry') };
      // A process that has exited: its pid is free (a reused pid would be alive, and trusted).
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      const deadPid = Number(gone.stdout);
      const stale = registerSecret(peerRegistryName('127.0.0.1:9'), generateSecret(), env, deadPid);
      expect(() => clientSecret(undefined, '127.0.0.1:9', env)).toThrow(/no secret for 127\.0\.0\.1:9/);
      expect(existsSync(stale)).toBe(false);
      const live = generateSecret();
      registerSecret(peerRegistryName('127.0.0.1:10'), live, env);
      expect(clientSecret(undefined, '127.0.0.1:10', env).secret).toBe(live);
      // A folder that was there, readable by others: refused, not silently changed.
      const shared = join(base, 'shared');
      mkdirSync(shared, { mode: 0o755 });
      chmodSync(shared, 0o755);
      expect(() => runtimeDir({ RINGSIDE_RUNTIME_DIR: shared })).toThrow(/can be read by others \(mode 755\)/);
      expect(statSync(shared).mode & 0o777).toBe(0o755);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('a new manager removes what sessions killed outright left: their temporary folders and secret records', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout);
    const left = mkdtempSync(join(tmpdir(), `ringside-kv-${deadPid}-`));
    mkdirSync(join(left, 'peer-1'));
    const kept = mkdtempSync(join(tmpdir(), `ringside-kv-${process.pid}-`));
    const record = registerSecret(`session-${deadPid}-test`, generateSecret(), process.env, deadPid);
    const fresh = new ClusterManager({ redis: false });
    try {
      expect(existsSync(left)).toBe(false);
      expect(existsSync(record)).toBe(false);
      expect(existsSync(kept)).toBe(true);
      expect(fresh.journal.entries().some((entry) => entry.event.kind === 'log' && entry.event.text.includes(left))).toBe(true);
    } finally {
      await fresh.shutdown();
      rmSync(kept, { recursive: true, force: true });
    }
  });
});
