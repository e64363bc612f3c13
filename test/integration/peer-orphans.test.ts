/**
 * No peer outlives its manager by more than 15 s, paused or not; where nothing is left to end
 * them (the reaper died with the manager), the next manager does, and says so.
 *
 * The managers run in processes of their own (`support/manager-process.ts`), killed with SIGKILL,
 * in this process's process group: as the window's or the command line's manager is, so no
 * orphaned-group hang-up (SIGHUP, SIGCONT) ends a paused peer for us. Linux only: the test reads
 * /proc (the mechanism itself runs on macOS too).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { endOrphans } from '../../src/main/cluster/orphans.ts';
import type { ManagerRecord } from '../../src/main/cluster/peer-reaper.ts';
import { processState } from '../../src/main/cluster/process-identity.ts';
import { forEachLine } from '../../src/main/cluster/spawn.ts';
import type { StartedManager } from '../support/manager-process.ts';
import { sleep, waitFor } from '../support/cluster.ts';

const SCRIPT = fileURLToPath(new URL('../support/manager-process.ts', import.meta.url));
/** How long a peer may outlive its manager. */
const OUTLIVE_MS_MAX = 15_000;

const runtimeFolder = mkdtempSync(join(tmpdir(), 'ringside-lifecycle-'));
const children: ChildProcess[] = [];
/** Every process these tests started, by pid, with its identity then. */
const identities = new Map<number, string>();

afterAll(() => {
  // Whatever a failed test left: our peers and managers only, by pid, still the same processes.
  for (const child of children) child.kill('SIGKILL');
  for (const pid of identities.keys()) if (lives(pid)) process.kill(pid, 'SIGKILL');
  rmSync(runtimeFolder, { recursive: true, force: true });
});

/** Runs `manager-process.ts` with `args` in this test's runtime folder; resolves with its first stdout line, and its stderr so far. */
function managerProcess(args: readonly string[]): { child: ChildProcess; line: Promise<string>; stderr: string[] } {
  const flags = process.features.typescript ? [] : ['--experimental-strip-types'];
  const child = spawn(process.execPath, [...flags, '--no-warnings', SCRIPT, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RINGSIDE_RUNTIME_DIR: runtimeFolder },
  });
  children.push(child);
  const stderr: string[] = [];
  forEachLine(child.stderr, (text) => stderr.push(text));
  const line = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`manager-process ${args.join(' ')} said nothing within 60 s: ${stderr.join('\n')}`)), 60_000);
    forEachLine(child.stdout, (text) => {
      clearTimeout(timer);
      resolve(text);
    });
    child.once('exit', (code) => setTimeout(() => reject(new Error(`manager-process ${args.join(' ')} exited (${code}): ${stderr.join('\n')}`)), 100));
  });
  return { child, line, stderr };
}

async function startManager(count: number, paused: number): Promise<StartedManager> {
  const started = JSON.parse(await managerProcess(['start', String(count), String(paused)]).line) as StartedManager;
  for (const pid of [started.managerPid, started.reaperPid, ...started.peers.map((peer) => peer.pid)]) {
    const identity = pid === undefined ? undefined : processState(pid)?.identity;
    if (identity !== undefined) identities.set(pid as number, identity);
  }
  // SIGSTOP takes effect when the kernel next schedules the peer: soon, not at once.
  await waitFor('the paused peers to be stopped', () => started.peers.every((peer) => processState(peer.pid)?.stopped === peer.paused), {
    timeoutMs: 5000,
    intervalMs: 50,
    describe: () => started.peers.map((peer) => ({ ...peer, state: processState(peer.pid) })),
  });
  return started;
}

/** True while `pid` is the process it was (not gone, not a zombie, not another with its pid). */
function lives(pid: number): boolean {
  return identities.has(pid) && processState(pid)?.identity === identities.get(pid);
}

const records = (): string[] => (existsSync(join(runtimeFolder, 'managers')) ? readdirSync(join(runtimeFolder, 'managers')).filter((name) => name.endsWith('.json')) : []);

describe.runIf(process.platform === 'linux')('peers do not outlive their manager', () => {
  it('every peer, a paused one too, is gone within 15 s of a SIGKILL to its manager', async () => {
    const started = await startManager(3, 1);
    expect(started.reaperPid).toBeDefined();
    expect(records()).toHaveLength(1);
    process.kill(started.managerPid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor('every peer to be gone', () => started.peers.every((peer) => !lives(peer.pid)), {
      timeoutMs: OUTLIVE_MS_MAX,
      intervalMs: 100,
      describe: () => started.peers.map((peer) => ({ ...peer, state: processState(peer.pid) })),
    });
    expect(Date.now() - killedAt).toBeLessThan(OUTLIVE_MS_MAX);
    // Its work done, the reaper leaves, and takes the manager's record with it.
    await waitFor('the reaper to exit', () => !lives(started.reaperPid as number), { timeoutMs: 5000, intervalMs: 100 });
    expect(records()).toEqual([]);
  }, 90_000);

  it('when the reaper died with its manager, a running peer still leaves by itself within 15 s, and the next manager ends the paused one and says so', async () => {
    const started = await startManager(2, 1);
    const [running, paused] = started.peers as [StartedManager['peers'][0], StartedManager['peers'][0]];
    // Stopped first, so that it cannot start another reaper once its reaper is gone.
    process.kill(started.managerPid, 'SIGSTOP');
    process.kill(started.reaperPid as number, 'SIGKILL');
    process.kill(started.managerPid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor('the running peer to leave by itself', () => !lives(running.pid), { timeoutMs: OUTLIVE_MS_MAX, intervalMs: 100 });
    expect(Date.now() - killedAt).toBeLessThan(OUTLIVE_MS_MAX);
    // Nothing can reach a stopped process but a signal: it stays, an orphan, until someone ends it.
    await sleep(1000);
    expect(processState(paused.pid)).toMatchObject({ identity: identities.get(paused.pid), stopped: true });
    expect(records()).toHaveLength(1);

    const next = managerProcess(['next']);
    const { logs } = JSON.parse(await next.line) as { logs: string[] };
    const said = new RegExp(`^ended 1 peer process left running by an earlier session whose manager \\(pid ${started.managerPid}\\) is gone: ${paused.id.replace(/\./g, '\\.')} \\(pid ${paused.pid}, paused\\)$`);
    expect(logs.filter((text) => said.test(text))).toHaveLength(1);
    await waitFor('the next manager to exit', () => next.child.exitCode !== null || undefined, { timeoutMs: 30_000 });
    expect(next.stderr.filter((text) => said.test(text.replace(/^ringside: /, '')))).toHaveLength(1);
    await waitFor('the paused orphan to be gone', () => !lives(paused.pid), { timeoutMs: 5000, intervalMs: 100 });
    expect(records()).toEqual([]);
  }, 90_000);

  it('the next manager ends only processes that are still the ones recorded: a reused pid is left alone', async () => {
    const sleeper = (): ChildProcess => {
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      children.push(child);
      return child;
    };
    const [orphan, stranger] = [sleeper(), sleeper()];
    const folder = join(runtimeFolder, 'records-by-hand');
    mkdirSync(folder, { mode: 0o700 });
    const record: ManagerRecord = {
      // A manager that is gone (no process has this identity), with no reaper.
      manager: { pid: process.pid, identity: 'a process that ended long ago' },
      peers: [
        { pid: orphan.pid as number, identity: processState(orphan.pid as number)?.identity as string, label: '127.0.0.1:1' },
        // Its pid, but another start time: the recorded peer is gone and this is someone else.
        { pid: stranger.pid as number, identity: `${processState(stranger.pid as number)?.identity as string}0`, label: '127.0.0.1:2' },
      ],
    };
    writeFileSync(join(folder, 'manager-1-abcdef.json'), JSON.stringify(record));
    const orphanExited = new Promise((resolve) => orphan.once('exit', resolve));
    expect(endOrphans(folder)).toEqual([{ pid: orphan.pid, label: '127.0.0.1:1', stopped: false, managerPid: process.pid }]);
    await orphanExited;
    expect(stranger.exitCode).toBeNull();
    expect(readdirSync(folder)).toEqual([]);
    stranger.kill('SIGKILL');
  });
});
