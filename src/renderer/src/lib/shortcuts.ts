/**
 * Keyboard shortcuts for the common actions. None fires while the user types in a field, and
 * none uses a modifier the browser or the OS already takes.
 */
import { onBeforeUnmount, onMounted } from 'vue';

export interface Shortcut {
  /** `KeyboardEvent.key`, such as `1`, `a`, `S` (with Shift) or `?`. */
  readonly key: string;
  readonly label: string;
  readonly run: () => void;
}

export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export function useShortcuts(shortcuts: () => readonly Shortcut[]): void {
  const onKey = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    const shortcut = shortcuts().find((candidate) => candidate.key === event.key);
    if (shortcut === undefined) return;
    event.preventDefault();
    shortcut.run();
  };
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
