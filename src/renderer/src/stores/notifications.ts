/** Messages for the user: errors from the cluster stay until dismissed; news fades. */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface Notice {
  readonly id: number;
  readonly level: 'error' | 'info';
  readonly text: string;
}

const NOTICES_MAX = 5;
const INFO_MS = 4000;

export const useNotificationsStore = defineStore('notifications', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;

  function push(level: Notice['level'], text: string): void {
    const notice = { id: nextId++, level, text };
    notices.value = [...notices.value, notice].slice(-NOTICES_MAX);
    if (level === 'info') setTimeout(() => dismiss(notice.id), INFO_MS);
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((notice) => notice.id !== id);
  }

  /** Runs `action`; a failure becomes an error notice prefixed with what was being done. */
  async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (error) {
      push('error', `${what}: ${(error as Error).message}`);
      return undefined;
    }
  }

  return { notices, push, dismiss, attempt };
});
