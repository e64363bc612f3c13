/**
 * The fallback when a manager and its reaper are both gone (killed together): the next manager
 * to start reads the records in the runtime folder (`peer-reaper.ts`) and ends the peers of every
 * record whose manager and reaper no longer live, if they are still the processes recorded
 * (same pid, same start time). A running orphan has left by itself already (its standard input
 * closed); what remains is mostly paused peers, which only a signal can end: SIGKILL, which
 * works on a stopped process.
 */
import { readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { managerRecordSchema, privateFolder, RECORD_FILE, runtimeFolder, type ManagerRecord } from './peer-reaper.ts';
import { processState, sameProcess } from './process-identity.ts';

export interface EndedOrphan {
  readonly pid: number;
  /** The peer's address as the record says. */
  readonly label: string;
  /** It was paused (stopped) when it was ended. */
  readonly stopped: boolean;
  /** The pid of the manager that started it. */
  readonly managerPid: number;
}

/** A record larger than this is no record of ours. */
const RECORD_BYTES_MAX = 1_048_576;

/** Ends the peers that earlier managers left behind; says which (none: an empty list). */
export function endOrphans(folder: string | undefined = runtimeFolder()): EndedOrphan[] {
  if (process.platform === 'win32' || folder === undefined || !privateFolder(folder)) return [];
  const ended: EndedOrphan[] = [];
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  for (const name of names) {
    if (!RECORD_FILE.test(name)) continue;
    const path = join(folder, name);
    const record = readRecord(path);
    if (record === undefined) continue;
    if (record !== 'invalid') {
      if (sameProcess(record.manager.pid, record.manager.identity)) continue;
      // Its reaper lives: it is ending them now (within its grace period), and removes the record.
      if (record.reaper !== undefined && sameProcess(record.reaper.pid, record.reaper.identity)) continue;
    }
    // Claim it, so two managers starting at once do not both report the same orphans.
    const claimed = `${path}.${process.pid}.ending`;
    try {
      renameSync(path, claimed);
    } catch {
      continue;
    }
    if (record !== 'invalid') {
      for (const peer of record.peers) {
        const state = processState(peer.pid);
        if (state?.identity !== peer.identity) continue;
        try {
          process.kill(peer.pid, 'SIGKILL');
          ended.push({ pid: peer.pid, label: peer.label, stopped: state.stopped, managerPid: record.manager.pid });
        } catch {
          // Gone meanwhile, or not ours to signal: nothing to end.
        }
      }
    }
    rmSync(claimed, { force: true });
  }
  return ended;
}

/** One line saying what `endOrphans` did. */
export function describeOrphans(ended: readonly EndedOrphan[]): string {
  const managers = [...new Set(ended.map((orphan) => orphan.managerPid))];
  const peers = ended.map((orphan) => `${orphan.label} (pid ${orphan.pid}${orphan.stopped ? ', paused' : ''})`);
  return `ended ${ended.length} peer process${ended.length === 1 ? '' : 'es'} left running by an earlier session whose manager (pid ${managers.join(', ')}) is gone: ${peers.join(', ')}`;
}

function readRecord(path: string): ManagerRecord | 'invalid' | undefined {
  try {
    if (statSync(path).size > RECORD_BYTES_MAX) return 'invalid';
    const parsed = managerRecordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : 'invalid';
  } catch (error) {
    // Removed meanwhile (its reaper finished): nothing to do. Unreadable JSON: not a record.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : 'invalid';
  }
}
