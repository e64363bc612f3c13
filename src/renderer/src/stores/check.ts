/**
 * The check the session runs (`ringside check` from the window): start one, watch its progress,
 * stop its workload early, and keep the judged run. A simulated check answers at once, done; a
 * real one runs for its duration on the cluster's peers, and its status is read every
 * `CHECK_POLL_MS` until it is done or failed (the whole run comes with the last answer).
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { CheckStatus } from '../../../shared/api/bridge.ts';
import type { CheckSpec } from '../../../shared/check/run.ts';
import { clusterClient } from './client.ts';
import { useNotificationsStore } from './notifications.ts';

export const CHECK_POLL_MS = 500;

export const useCheckStore = defineStore('check', () => {
  const notifications = useNotificationsStore();
  const status = shallowRef<CheckStatus>({ state: 'idle', simulated: false });
  /** A start or stop the server has not answered yet. */
  const starting = ref(false);
  const cancelling = ref(false);
  /** Why the last start was refused (also a notice). */
  const startError = ref<string | undefined>(undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;

  function schedule(): void {
    clearTimeout(timer);
    timer = undefined;
    if (status.value.state === 'running') timer = setTimeout(() => void refresh(), CHECK_POLL_MS);
  }

  /** Reads the check's status (a check started before this window opened shows too). */
  async function refresh(): Promise<void> {
    try {
      const answer = await clusterClient().checkStatus();
      if (answer !== undefined) status.value = answer;
    } catch {
      // The connection's own state says why; a running check is read again below.
    }
    schedule();
  }

  async function start(spec: CheckSpec, simulated: boolean): Promise<void> {
    if (starting.value || status.value.state === 'running') return;
    starting.value = true;
    startError.value = undefined;
    try {
      const answer = await clusterClient().startCheck(spec, simulated);
      if (answer !== undefined) status.value = answer;
    } catch (error) {
      startError.value = (error as Error).message;
      notifications.push('error', `The check did not start: ${startError.value}`);
    } finally {
      starting.value = false;
    }
    schedule();
  }

  /** Stops a real check's workload early: it still heals, settles and is judged. */
  async function cancel(): Promise<void> {
    if (status.value.state !== 'running' || cancelling.value) return;
    cancelling.value = true;
    const answer = await notifications.attempt('Stopping the check', () => clusterClient().cancelCheck());
    cancelling.value = false;
    if (answer !== undefined) status.value = answer;
    schedule();
  }

  function stop(): void {
    clearTimeout(timer);
    timer = undefined;
  }

  return { status, starting, cancelling, startError, refresh, start, cancel, stop };
});
