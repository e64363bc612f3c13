/**
 * Whether the calling component is on screen: views are kept alive behind the sidebar, and a
 * hidden one need not rebuild what it draws every time its data changes.
 */
import { onActivated, onDeactivated, ref, type Ref } from 'vue';

export function useVisible(): Readonly<Ref<boolean>> {
  const visible = ref(true);
  onActivated(() => (visible.value = true));
  onDeactivated(() => (visible.value = false));
  return visible;
}

/** `build()` while visible; hidden, the last value it built (and no dependency on its inputs). */
export function whileVisible<T>(visible: Readonly<Ref<boolean>>, build: () => T): () => T {
  let last: { value: T } | undefined;
  return () => {
    if (!visible.value && last !== undefined) return last.value;
    last = { value: build() };
    return last.value;
  };
}
