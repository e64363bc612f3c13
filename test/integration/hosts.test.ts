/**
 * Peers on other hosts. The test builds three "hosts" as Linux network namespaces on a bridge
 * (10.N.0.2-4, the bridge 10.N.0.1 in this namespace), starts a real peer in each, and attaches
 * a manager to them from here: membership, the key-value store, the Redis front's AUTH off
 * loopback, refusal of a peer without the secret, and the same cluster over TLS (wss://) with a
 * self-signed certificate. It needs root and iproute2 (`ip netns`): elsewhere it is skipped and
 * says so; CI runs as root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterManager } from '../../src/main/cluster/manager.ts';
import { generateSecret } from '../../src/peer/secret.ts';
import { parseReadyLine } from '../../src/shared/protocol/control.ts';
import { sleep, waitFor } from '../support/cluster.ts';

const bin = join(import.meta.dirname, '../../bin/ringside.js');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasIp = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).status === 0;
const hasOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const canRun = isRoot && hasIp && hasOpenssl;
if (!canRun) {
  console.warn(`hosts.test.ts skipped: it needs root (${isRoot ? 'yes' : 'no'}), iproute2's ip netns (${hasIp ? 'yes' : 'no'}) and openssl (${hasOpenssl ? 'yes' : 'no'}) to build network namespaces`);
}

const tag = String(process.pid % 10_000);
const subnet = `10.${100 + (process.pid % 100)}.0`;
const bridge = `rsbr${tag}`;
const hosts = ['a', 'b', 'c'].map((name, index) => ({ ns: `rs${tag}${name}`, veth: `rsv${tag}${name}`, ip: `${subnet}.${index + 2}` }));
const folder = mkdtempSync(join(tmpdir(), 'ringside-hosts-'));
const secretFile = join(folder, 'secret');
const secret = generateSecret();
const children: ChildProcess[] = [];

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr.trim()}`);
}

function tearDown(): void {
  for (const host of hosts) spawnSync('ip', ['netns', 'del', host.ns]);
  spawnSync('ip', ['link', 'del', bridge]);
}

/** Starts `ringside peer` in a host's namespace; resolves with its ready line's id and Redis port. */
function peerIn(host: (typeof hosts)[number], args: readonly string[]): Promise<{ id: string; redisPort: number; stderr: () => string }> {
  const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, bin, 'peer', '--tick-ms', '50', '--memory', '--secret-file', secretFile, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: folder,
    env: { ...process.env, RINGSIDE_SECRET: '' },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => (err += String(chunk)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
      const info = out.split('\n').map(parseReadyLine).find((line) => line !== undefined);
      if (info !== undefined) resolve({ id: info.id, redisPort: info.redisPort ?? 0, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`the peer in ${host.ns} exited with ${code}: ${err}`)));
  });
}

/** One Redis exchange from this namespace: sends `text`, resolves with what came back in 500 ms. */
function redis(host: string, port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let reply = '';
    socket.on('data', (chunk) => (reply += String(chunk)));
    socket.on('error', (error) => resolve(`socket error: ${error.message}`));
    socket.write(text);
    setTimeout(() => {
      socket.destroy();
      resolve(reply);
    }, 500);
  });
}

async function stopPeers(): Promise<void> {
  const exits = children.map((child) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve))));
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(exits);
  children.length = 0;
}

describe.skipIf(!canRun)('peers on three hosts (network namespaces)', () => {
  let cert = '';
  let key = '';

  beforeAll(() => {
    tearDown();
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    for (const host of hosts) {
      ip('netns', 'add', host.ns);
      ip('link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns);
      ip('link', 'set', host.veth, 'master', bridge);
      ip('link', 'set', host.veth, 'up');
      ip('-n', host.ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
      ip('-n', host.ns, 'link', 'set', 'eth0', 'up');
      ip('-n', host.ns, 'link', 'set', 'lo', 'up');
    }
    writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
    // One self-signed certificate naming every host's address: its own authority.
    cert = join(folder, 'cert.pem');
    key = join(folder, 'key.pem');
    const names = hosts.map((host) => `IP:${host.ip}`).join(',');
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=ringside-test', '-addext', `subjectAltName=${names}`, '-keyout', key, '-out', cert], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  }, 30_000);

  afterAll(async () => {
    await stopPeers();
    tearDown();
    rmSync(folder, { recursive: true, force: true });
  }, 30_000);

  for (const tls of [false, true]) {
    it(`form one group the manager attaches to across hosts${tls ? ', over TLS (wss://)' : ''}`, async () => {
      const tlsArgs = tls ? ['--tls-cert', cert, '--tls-key', key] : [];
      const port = tls ? 7010 : 7000;
      let manager: ClusterManager | undefined;
      try {
      const [a, b, c] = hosts as [(typeof hosts)[number], (typeof hosts)[number], (typeof hosts)[number]];
      // Peer a listens on every interface and says which address to dial; its Redis front is
      // off loopback too, so clients must AUTH (with the cluster secret: no password given).
      const first = await peerIn(a, ['--listen', `0.0.0.0:${port}`, '--advertise', a.ip, '--redis-host', '0.0.0.0', '--redis-port', String(port + 100), ...tlsArgs]);
      expect(first.id).toBe(`${a.ip}:${port}`);
      await waitFor('its start line', () => (first.stderr().includes(`peer ${first.id} (listening on 0.0.0.0, `) ? true : undefined), { timeoutMs: 10_000 });
      const second = await peerIn(b, ['--listen', `${b.ip}:${port}`, '--join', first.id, '--no-redis', ...tlsArgs]);
      const third = await peerIn(c, ['--listen', `${c.ip}:${port}`, '--join', first.id, '--no-redis', ...tlsArgs]);
      const cluster = new ClusterManager({ secret, redis: false, ...(tls ? { tls: { ca: readFileSync(cert, 'utf8') } } : {}) });
      manager = cluster;
        for (const peer of [first, second, third]) expect((await cluster.attach(peer.id)).id).toBe(peer.id);
        // Every peer sees the three, by their real addresses (never 0.0.0.0).
        await waitFor('every peer seeing three alive', async () => {
          const views = await cluster.views();
          return [...views.values()].every((view) => view.filter((member) => member.state === 'alive').length === 3) ? true : undefined;
        }, { timeoutMs: 30_000 });
        const ids = [...(await cluster.views()).values()].flat().map((member) => member.id);
        expect(new Set(ids)).toEqual(new Set([first.id, second.id, third.id]));
        // The store works across hosts: a write through one host, read through another.
        const written = await waitFor('a quorum write across hosts', async () => {
          const result = await cluster.operate('put', 'where', 'across hosts', second.id);
          return result.ok ? result : undefined;
        }, { timeoutMs: 30_000 });
        expect(written.replicas.length).toBe(3);
        expect(await cluster.operate('read', 'where', undefined, third.id)).toMatchObject({ ok: true, value: 'across hosts' });
        // The Redis front off loopback: NOAUTH first, then AUTH with the cluster secret.
        expect(await redis(a.ip, port + 100, '*2\r\n$3\r\nGET\r\n$5\r\nwhere\r\n')).toMatch(/^-NOAUTH/);
        expect(await redis(a.ip, port + 100, `*2\r\n$4\r\nAUTH\r\n$${secret.length}\r\n${secret}\r\n*2\r\n$3\r\nGET\r\n$5\r\nwhere\r\n`)).toBe('+OK\r\n$12\r\nacross hosts\r\n');
        expect(await redis(a.ip, port + 100, '*2\r\n$4\r\nAUTH\r\n$20\r\nnot-the-secret-12345\r\n')).toMatch(/^-WRONGPASS/);
        // A peer without the secret, on the third host, is refused and stays alone.
        writeFileSync(join(folder, 'wrong'), `${generateSecret()}\n`);
        const child = spawn('ip', ['netns', 'exec', c.ns, process.execPath, bin, 'peer', '--listen', `${c.ip}:${port + 1}`, '--join', first.id, '--memory', '--no-redis', '--secret-file', join(folder, 'wrong'), ...tlsArgs], { stdio: ['ignore', 'ignore', 'pipe'], cwd: folder });
        children.push(child);
        let intruder = '';
        child.stderr.on('data', (chunk) => (intruder += String(chunk)));
        await waitFor('the intruder told it was refused', () => (intruder.includes('refused the secret') ? true : undefined), { timeoutMs: 15_000 });
        await sleep(1000);
        const after = [...(await cluster.views()).values()].flat().map((member) => member.id);
        expect(after).not.toContain(`${c.ip}:${port + 1}`);
      } finally {
        await manager?.shutdown({ graceful: false });
        await stopPeers();
      }
    }, 120_000);
  }

  it('refuses plain ws:// against a TLS peer, and TLS with an untrusted certificate', async () => {
    const [a] = hosts as [(typeof hosts)[number]];
    const peer = await peerIn(a, ['--listen', `${a.ip}:7100`, '--no-redis', '--tls-cert', cert, '--tls-key', key]);
    try {
      const plain = new ClusterManager({ secret, redis: false });
      await expect(plain.attach(peer.id)).rejects.toThrow(/closed the connection|cannot reach|handshake/);
      await plain.shutdown();
      const other = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', join(folder, 'other-key.pem'), '-out', join(folder, 'other.pem')], { encoding: 'utf8' });
      expect(other.status).toBe(0);
      const untrusting = new ClusterManager({ secret, redis: false, tls: { ca: readFileSync(join(folder, 'other.pem'), 'utf8') } });
      await expect(untrusting.attach(peer.id)).rejects.toThrow(/certificate|self.signed|unable to verify/i);
      await untrusting.shutdown();
    } finally {
      await stopPeers();
    }
  }, 60_000);
});
