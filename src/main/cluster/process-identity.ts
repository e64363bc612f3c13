/**
 * Who a process id is, now: an identity string that is the same for as long as one process lives
 * and differs for another process given the same id later (pids are reused). The peer reaper and
 * the orphan sweep kill a pid only when its identity is still the one recorded at spawn.
 *
 * Linux: the boot id and the start time in clock ticks since boot (`/proc/<pid>/stat`, field 22),
 * unique per process within a boot. macOS and the BSDs: `ps`'s start time (to the second). Windows:
 * none (undefined), so nothing is ever killed on the strength of a pid alone.
 *
 * The reaper (`peer-reaper.ts`) runs the same rule in its own script: keep the two in step.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessState {
  readonly identity: string;
  /** Stopped (SIGSTOP): a paused peer. */
  readonly stopped: boolean;
}

let bootId: string | undefined;

/** The process `pid` as it is now, or undefined when none lives (a zombie counts as gone). */
export function processState(pid: number): ProcessState | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') return linuxState(pid);
  if (process.platform === 'win32') return undefined;
  return psState(pid);
}

/** True when the process `pid` still is the one whose identity was `identity`. */
export function sameProcess(pid: number, identity: string): boolean {
  return processState(pid)?.identity === identity;
}

function linuxState(pid: number): ProcessState | undefined {
  let stat: string;
  try {
    bootId ??= readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  if (state === undefined || startTicks === undefined || state === 'Z' || state === 'X') return undefined;
  return { identity: `${bootId}:${startTicks}`, stopped: state === 'T' || state === 't' };
}

function psState(pid: number): ProcessState | undefined {
  let line: string;
  try {
    line = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
  const [state, ...started] = line.split(/\s+/);
  if (state === undefined || started.length === 0 || state.startsWith('Z')) return undefined;
  return { identity: started.join('_'), stopped: state.startsWith('T') };
}
