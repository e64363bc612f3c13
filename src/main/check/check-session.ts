/**
 * The check a session is running, for the cluster API (the window's Check view): one at a time
 * per cluster manager, started, watched (progress, then the whole run) and stopped through API
 * commands, whatever transport asks. A simulated check runs at once (the simulator is fast); a
 * real one runs for its duration in the background.
 */
import type { ClusterManager } from '../cluster/manager.ts';
import { checkSpecSchema, type CheckRun, type CheckSpecInput } from '../../shared/check/run.ts';
import { runSimulatedCheck } from '../../shared/check/sim-check.ts';
import { runRealCheck, type CheckProgress } from './real-check.ts';

export interface CheckStatus {
  readonly state: 'idle' | 'running' | 'done' | 'failed';
  readonly simulated: boolean;
  readonly progress?: CheckProgress;
  /** The finished run: its history, faults, report and verdict. */
  readonly run?: CheckRun;
  /** Why the check could not run. */
  readonly error?: string;
}

class CheckSession {
  #status: CheckStatus = { state: 'idle', simulated: false };
  #abort: AbortController | undefined;

  get status(): CheckStatus {
    return this.#status;
  }

  start(manager: ClusterManager, input: CheckSpecInput, simulated: boolean): CheckStatus {
    if (this.#status.state === 'running') throw new Error('a check is running already: stop it or wait for it');
    const spec = checkSpecSchema.parse(input);
    if (simulated) {
      try {
        this.#status = { state: 'done', simulated, run: runSimulatedCheck(spec) };
      } catch (error) {
        this.#status = { state: 'failed', simulated, error: (error as Error).message };
      }
      return this.#status;
    }
    const abort = new AbortController();
    this.#abort = abort;
    this.#status = { state: 'running', simulated, progress: { fraction: 0, phase: 'starting', operations: 0 } };
    void runRealCheck(manager, spec, {
      signal: abort.signal,
      onProgress: (progress) => {
        if (this.#abort === abort) this.#status = { state: 'running', simulated, progress };
      },
    }).then(
      (run) => {
        if (this.#abort === abort) this.#status = { state: 'done', simulated, run };
      },
      (error: Error) => {
        if (this.#abort === abort) this.#status = { state: 'failed', simulated, error: error.message };
      },
    );
    return this.#status;
  }

  /** Stops the workload early; the run still heals, settles and is judged. */
  cancel(): CheckStatus {
    this.#abort?.abort();
    return this.#status;
  }
}

const sessions = new WeakMap<ClusterManager, CheckSession>();

export function checkSessionOf(manager: ClusterManager): CheckSession {
  let session = sessions.get(manager);
  if (session === undefined) sessions.set(manager, (session = new CheckSession()));
  return session;
}
