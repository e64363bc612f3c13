/**
 * `ringside check` from the command line, as a user runs it: simulated runs and sweeps, a short
 * run on real peers with kills, a partition and loss, the files --out writes, and bad options.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerHistoryFromJson } from '../../src/shared/check/register-history.ts';

const bin = join(import.meta.dirname, '../../bin/ringside.js');
const folders: string[] = [];

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function ringside(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ringside check', () => {
  it('passes a simulated run with every fault and skewed clocks, and says what it checked', () => {
    const result = ringside('check', '--sim', '--seed', '3', '--skew', '5', '--combined');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^PASSED: simulated run, seed 3, \d+ operations in [\d.]+ s of simulated time\.$/m);
    expect(result.stdout).toContain('mode: Strict quorums (R = 2, W = 2');
    expect(result.stdout).toContain('No acknowledged write was lost');
    expect(result.stdout).toMatch(/faults:\n {2}5\.0-10\.0 s: /);
  });

  it('sweeps seeds and prints the commands that replay the failing ones', () => {
    const result = ringside('check', '--sim', '--seeds', '1-4', '--nemesis', 'partition', '--read-quorum', '1', '--write-quorum', '1', '--duration', '20');
    expect(result.status).toBe(1);
    expect(result.stdout.split('\n').filter((line) => /^\s+\d+\s+\d+/.test(line))).toHaveLength(4);
    expect(result.stdout).toMatch(/^replay: ringside check --sim --seed \d+ --duration 20 --nemesis partition --read-quorum 1 --write-quorum 1$/m);
    const replay = /^replay: ringside (.*)$/m.exec(result.stdout)?.[1]?.split(' ') ?? [];
    const again = ringside(...replay);
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/^FAILED: /);
  });

  it('refuses contradictory or bad options with one line and exit 2', () => {
    for (const args of [
      ['--seeds', '1-3'],
      ['--sim', '--seed', '2', '--seeds', '1-3'],
      ['--skew', '4'],
      ['--sim', '--nemesis', 'meteor'],
      ['--sim', '--mix', '1:2'],
      ['--sim', '--loss', '2'],
      ['--sim', '--clients', '0'],
    ]) {
      const result = ringside('check', ...args);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('runs on real peers with kills, a partition and 10 % loss, loses nothing acknowledged, and writes the history for other checkers', () => {
    const out = mkdtempSync(join(tmpdir(), 'ringside-check-'));
    folders.push(out);
    const result = ringside('check', '--duration', '12', '--interval', '2', '--nemesis', 'kill,partition,loss', '--combined', '--seed', '5', '--out', out);
    expect(result.stderr).toMatch(/^real check, seed 5: 5 peers/);
    expect(result.stdout).toMatch(/^PASSED: real run, seed 5, \d+ operations/);
    expect(result.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['HOW-TO-CHECK.txt', 'history.edn', 'history.json', 'porcupine.json', 'report.txt', 'run.json', 'split-by-key.clj']);
    const history = registerHistoryFromJson(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.operations.length).toBeGreaterThan(300);
    expect(history.operations.some((operation) => operation.outcome === 'ok' && operation.kind === 'write')).toBe(true);
    expect(readFileSync(join(out, 'history.edn'), 'utf8')).toMatch(/^\{:index 0, :time \d+, :type :invoke, :process \d+, :f :(read|write)/);
  }, 180_000);
});
