import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/ringside.js');
const folders: string[] = [];

function temporaryFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'ringside-'));
  folders.push(folder);
  return folder;
}

afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function ringside(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ringside grade membership', () => {
  it('prints the original grader report and exits 0 on full marks', () => {
    const result = ringside('grade', 'membership', '--scenario', 'single-failure', '--protocol', 'gossip', '--seed', '3');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      ['Single Failure Scenario', '============================', 'Checking Join..................10/10', 'Checking Completeness..........10/10', 'Checking Accuracy..............10/10'].join('\n'),
    );
    expect(result.stdout).toContain('Checking Accuracy..............10/10\nFinal grade 30\n');
    expect(result.stdout).toMatch(/removed 9 times, \d+-\d+ ticks after the crash/);
    expect(result.stdout).toContain('false removals: none');
  });

  it('gives 90/90 for both protocols over the three scenarios', () => {
    const result = ringside('grade', 'membership', '--protocol', 'all', '--seed', '5');
    expect(result.status).toBe(0);
    expect(result.stdout.match(/^Final grade 90$/gm)).toHaveLength(2);
  });

  it('writes the dbg.log of the run with --out', () => {
    const directory = temporaryFolder();
    const out = join(directory, 'dbg.log');
    const result = ringside('grade', 'membership', '--scenario', 'multi-failure', '--seed', '2', '--out', out);
    expect(result.status).toBe(0);
    const log = readFileSync(out, 'utf8');
    expect(log.startsWith('131\n\n ')).toBe(true);
    expect(log).toContain('Node failed at time = 100');
  });

  it('writes one log per scenario when --out meets several scenarios', () => {
    const directory = temporaryFolder();
    const result = ringside('grade', 'membership', '--protocol', 'gossip', '--out', join(directory, 'dbg.log'));
    expect(result.status).toBe(0);
    for (const scenario of ['single-failure', 'multi-failure', 'message-drop']) {
      expect(readFileSync(join(directory, `dbg.${scenario}.log`), 'utf8').startsWith('131\n')).toBe(true);
    }
  });

  it('sweeps a range of seeds and prints a summary table', () => {
    const result = ringside('grade', 'membership', '--scenario', 'message-drop', '--protocol', 'swim', '--seeds', '1-3');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/swim\s+message-drop\s+3\/3/);
    expect(result.stdout).toContain('All 3 runs scored full marks.');
  });

  for (const [what, args, message] of [
    ['an unknown scenario', ['--scenario', 'double-failure'], "argument 'double-failure' is invalid"],
    ['an unknown protocol', ['--protocol', 'raft'], "argument 'raft' is invalid"],
    ['an unknown flag', ['--sede', '3'], "unknown option '--sede'"],
    ['a negative seed', ['--seed', '-3'], 'a seed is a whole number'],
    ['a seed that is not a number', ['--seed', 'abc'], 'a seed is a whole number'],
    ['an empty seed range', ['--seeds', '9-2'], 'is empty'],
    ['a zero delay', ['--delay', '0-4'], 'a delay is N or MIN-MAX'],
    ['--out with --seeds', ['--seeds', '1-2', '--out', 'x.log'], 'cannot be used with --seeds'],
    ['--seed with --seeds', ['--seeds', '1-2', '--seed', '4'], 'give one of them'],
    ['--out naming a folder', ['--out', tmpdir()], 'is a folder'],
    ['--out in a folder that does not exist', ['--out', '/nonexistent/folder/dbg.log'], 'the folder /nonexistent/folder does not exist'],
    ['an empty --out', ['--out', ''], '--out needs a file name'],
  ] as const) {
    it(`rejects ${what} with a one-line error and exit status 2`, () => {
      const result = ringside('grade', 'membership', ...args);
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines[0]).toContain(message);
      // Commander may add a "(Did you mean …?)" hint; never a stack trace.
      expect(result.stderr).not.toMatch(/\s+at .*\.ts:\d+/);
      expect(lines.length).toBeLessThanOrEqual(2);
    });
  }

  it('rejects an unknown command with exit status 2', () => {
    expect(ringside('gradee')).toEqual({ status: 2, stdout: '', stderr: "error: unknown command 'gradee' (commands: grade, sim, check, peer, p2p, cluster, serve, open, put, get, del, members, journal)\n" });
    expect(ringside('grade', 'raft')).toEqual({ status: 2, stdout: '', stderr: "error: cannot grade 'raft' (can grade: membership, kv, all)\n" });
  });

  it('answers a missing command with one line and exit status 2', () => {
    expect(ringside()).toEqual({ status: 2, stdout: '', stderr: 'error: a command is missing (try: ringside --help)\n' });
    const grade = ringside('grade');
    expect(grade.status).toBe(2);
    expect(grade.stderr).toBe('error: say what to grade: ringside grade membership | kv | all (try: ringside grade --help)\n');
  });

  it('runs nothing when --out cannot be written, so no work is lost to a typo', () => {
    const result = ringside('grade', 'membership', '--out', '/nonexistent/folder/dbg.log');
    expect(result.stdout).toBe('');
    expect(existsSync('/nonexistent/folder')).toBe(false);
  });

  it('prints help and the version with exit status 0', () => {
    expect(ringside('--help')).toMatchObject({ status: 0, stdout: expect.stringContaining('Usage: ringside') });
    expect(ringside('--version')).toMatchObject({ status: 0, stdout: `${JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).version}\n` });
  });
});

describe('ringside grade kv and grade all', () => {
  it('grades the four key-value tests at 90/90 in the original layout', () => {
    const result = ringside('grade', 'kv', '--seed', '4');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(' READ TEST\n');
    expect(result.stdout).toContain('TEST 3 PART 2 SCORE..................: 10 / 10');
    expect(result.stdout).toContain('TOTAL GRADE: 90 / 90');
  });

  it('writes one dbg.log per test', () => {
    const folder = temporaryFolder();
    expect(ringside('grade', 'kv', '--out', join(folder, 'dbg.log')).status).toBe(0);
    for (const test of ['create', 'delete', 'read', 'update']) expect(readFileSync(join(folder, `dbg.${test}.log`), 'utf8')).toMatch(/^131\n\n /);
  });

  it('sweeps seeds', () => {
    const result = ringside('grade', 'kv', '--test', 'update', '--seeds', '1-3');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/update\s+3\/3\s+40\.0 \/ 40/);
  });

  it('rejects an unknown test with exit status 2', () => {
    expect(ringside('grade', 'kv', '--test', 'upsert')).toMatchObject({ status: 2, stdout: '' });
  });

  it('grade all prints every classroom scenario in one table', () => {
    const result = ringside('grade', 'all', '--seed', '2');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/membership\s+swim\s+message-drop\s+30\/30/);
    expect(result.stdout).toMatch(/key-value\s+gossip\s+update\s+40\/40/);
  });
});

describe('ringside sim', () => {
  it('runs a script and prints its transcript', () => {
    const result = ringside('sim', join(import.meta.dirname, '../scenarios/gossip-restart.txt'));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('> crash 3');
    expect(result.stdout).toMatch(/ok: 3 removed by 1-2,4-5/);
  });

  it('exits 1 when an expectation fails', () => {
    const directory = temporaryFolder();
    const script = join(directory, 'failing.txt');
    writeFileSync(script, 'peers 3\nstart all\ntick 5\ncrash 3\nexpect removed 3 by all within 2\n');
    const result = ringside('sim', script);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('FAIL: after 2 ticks');
    expect(result.stderr).toBe('1 expectation failed\n');
  });

  it('reports a script error with its line and exit status 2', () => {
    const directory = temporaryFolder();
    const script = join(directory, 'broken.txt');
    writeFileSync(script, 'peers 3\nstart all\nexplode 2\n');
    const result = ringside('sim', script);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('error: line 3: unknown command "explode"\n');
  });

  it('reports a missing file or a folder with exit status 2', () => {
    expect(ringside('sim', '/nonexistent/script.txt')).toMatchObject({ status: 2, stderr: 'error: cannot read /nonexistent/script.txt: no such file\n' });
    const folder = temporaryFolder();
    expect(ringside('sim', folder)).toMatchObject({ status: 2, stderr: `error: ${folder} is a folder, not a script\n` });
  });

  it('reports tunables that cannot work together at the line that sets them', () => {
    const folder = temporaryFolder();
    const script = join(folder, 'tunables.txt');
    writeFileSync(script, 'protocol swim\nset swim.probeTimeoutTicks 20\nstart all\n');
    expect(ringside('sim', script)).toMatchObject({
      status: 2,
      stderr: 'error: line 2: swim.probeTimeoutTicks (20) must be below swim.probeIntervalTicks (10)\n',
    });
  });

  it('says so when a script has no commands', () => {
    const folder = temporaryFolder();
    const script = join(folder, 'empty.txt');
    writeFileSync(script, '# nothing yet\n\n');
    expect(ringside('sim', script)).toMatchObject({ status: 0, stdout: '', stderr: `${script} has no commands (see: ringside sim --help)\n` });
  });
});
