/** Where the Redis front's password comes from, and how it is compared. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeRedisPassword, loadRedisPassword, passwordMatches, REDIS_PASSWORD_ENV } from '../../src/peer/redis-auth.ts';

const folder = mkdtempSync(join(tmpdir(), 'ringside-redis-password-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
const CLUSTER_SECRET = 'the-cluster-secret-0123456789';

describe('the Redis password', () => {
  it('comes from --redis-password-file, trimmed, before the environment', () => {
    const file = join(folder, 'password');
    writeFileSync(file, '\n  s3cret words \n');
    expect(loadRedisPassword(file, '0.0.0.0', CLUSTER_SECRET, { [REDIS_PASSWORD_ENV]: 'from env' })).toEqual({ password: 's3cret words', source: 'file' });
  });

  it('comes from RINGSIDE_REDIS_PASSWORD, on loopback too', () => {
    expect(loadRedisPassword(undefined, '127.0.0.1', CLUSTER_SECRET, { [REDIS_PASSWORD_ENV]: 'from env' })).toEqual({ password: 'from env', source: 'environment' });
  });

  it('is none on loopback, and the cluster secret on any other host', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) expect(loadRedisPassword(undefined, host, CLUSTER_SECRET, {})).toEqual({ password: undefined, source: 'none' });
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.org']) {
      expect(loadRedisPassword(undefined, host, CLUSTER_SECRET, { [REDIS_PASSWORD_ENV]: '' })).toEqual({ password: CLUSTER_SECRET, source: 'cluster secret' });
    }
  });

  it('refuses a missing, empty or folder file with a clear error', () => {
    expect(() => loadRedisPassword(join(folder, 'nothing'), '127.0.0.1', CLUSTER_SECRET, {})).toThrow(`cannot read the Redis password file ${join(folder, 'nothing')}: no such file`);
    const empty = join(folder, 'empty');
    writeFileSync(empty, ' \n');
    expect(() => loadRedisPassword(empty, '127.0.0.1', CLUSTER_SECRET, {})).toThrow(`the Redis password file ${empty} is empty`);
    expect(() => loadRedisPassword(folder, '127.0.0.1', CLUSTER_SECRET, {})).toThrow('is a folder, not a file');
  });

  it('is described without being shown', () => {
    expect(describeRedisPassword('cluster secret', '/run/ringside/peer.secret')).toBe('password: the cluster secret, as the front is not on loopback (in /run/ringside/peer.secret)');
    expect(describeRedisPassword('none')).toBe('no password');
  });

  it('is compared whole, whatever the lengths', () => {
    expect(passwordMatches('sesame', Buffer.from('sesame'))).toBe(true);
    for (const given of ['', 'sesam', 'sesame ', 'Sesame', 'sesame'.repeat(1000)]) expect(passwordMatches('sesame', Buffer.from(given))).toBe(false);
    expect(passwordMatches('pässword', Buffer.from('pässword', 'utf8'))).toBe(true);
  });
});
