/**
 * Messages for the user. Each can be dismissed, and each goes by itself: news after 4 s, an error
 * after 15 s (time to read it twice), so that no notice sits for minutes over the views. A notice
 * the pointer rests on (or the keyboard focus is in) stays until it is left, then has its full
 * time again.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export interface Notice {
  readonly id: number;
  readonly level: 'error' | 'info';
  readonly text: string;
}

const NOTICES_MAX = 5;
/** How long a notice stays when nothing holds it, by level, in ms. */
export const NOTICE_LIFETIME_MS: Readonly<Record<Notice['level'], number>> = { info: 4000, error: 15_000 };

export const useNotificationsStore = defineStore('notifications', () => {
  const notices = ref<Notice[]>([]);
  let nextId = 1;
  /** The pending removal of each notice nothing holds. */
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  /** How many things hold each held notice (the pointer, the focus). */
  const holds = new Map<number, number>();

  function schedule(notice: Notice): void {
    clearTimeout(timers.get(notice.id));
    timers.set(
      notice.id,
      setTimeout(() => dismiss(notice.id), NOTICE_LIFETIME_MS[notice.level]),
    );
  }

  function forget(id: number): void {
    clearTimeout(timers.get(id));
    timers.delete(id);
    holds.delete(id);
  }

  function push(level: Notice['level'], text: string): void {
    const notice = { id: nextId++, level, text };
    const kept = [...notices.value, notice].slice(-NOTICES_MAX);
    for (const dropped of notices.value) if (!kept.includes(dropped)) forget(dropped.id);
    notices.value = kept;
    schedule(notice);
  }

  function dismiss(id: number): void {
    forget(id);
    notices.value = notices.value.filter((notice) => notice.id !== id);
  }

  /** The pointer or the focus is on notice `id`: it stays until every `hold` is released. */
  function hold(id: number): void {
    if (!notices.value.some((notice) => notice.id === id)) return;
    holds.set(id, (holds.get(id) ?? 0) + 1);
    clearTimeout(timers.get(id));
    timers.delete(id);
  }

  /** One `hold` of notice `id` ends; once none is left, it goes after its full time. */
  function release(id: number): void {
    const count = holds.get(id);
    if (count === undefined) return;
    if (count > 1) {
      holds.set(id, count - 1);
      return;
    }
    holds.delete(id);
    const notice = notices.value.find((candidate) => candidate.id === id);
    if (notice !== undefined) schedule(notice);
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

  return { notices, push, dismiss, hold, release, attempt };
});
