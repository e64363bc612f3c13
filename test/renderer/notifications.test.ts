// @vitest-environment jsdom
/**
 * Issue 14, defect 3: a red notice stayed for minutes over the History table. Every notice can
 * be dismissed and goes by itself (news after 4 s, an error after 15 s), except while the pointer
 * rests on it or the focus is in it.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { NOTICE_LIFETIME_MS, useNotificationsStore } from '../../src/renderer/src/stores/notifications.ts';
import NoticeList from '../../src/renderer/src/components/NoticeList.vue';

beforeEach(() => {
  setActivePinia(createPinia());
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function mountList() {
  const notifications = useNotificationsStore();
  const wrapper = mount(NoticeList, { props: { notices: notifications.notices, onDismiss: (id: number) => notifications.dismiss(id) } });
  // The window passes the store's list as it changes.
  const refresh = () => wrapper.setProps({ notices: notifications.notices });
  return { notifications, wrapper, refresh };
}

const texts = () => useNotificationsStore().notices.map((notice) => notice.text);

test('an error goes by itself after 15 s, news after 4 s', () => {
  const notifications = useNotificationsStore();
  expect(NOTICE_LIFETIME_MS).toEqual({ info: 4000, error: 15_000 });
  notifications.push('error', 'Starting 3 peers: the port is taken');
  notifications.push('info', '2 peers started');
  vi.advanceTimersByTime(3999);
  expect(texts()).toEqual(['Starting 3 peers: the port is taken', '2 peers started']);
  vi.advanceTimersByTime(1);
  expect(texts()).toEqual(['Starting 3 peers: the port is taken']);
  vi.advanceTimersByTime(15_000 - 4000 - 1);
  expect(texts()).toEqual(['Starting 3 peers: the port is taken']);
  vi.advanceTimersByTime(1);
  expect(texts()).toEqual([]);
});

test('an error is dismissed at once with its button', async () => {
  const { notifications, wrapper, refresh } = mountList();
  notifications.push('error', 'Killing 127.0.0.1:4001: no such peer');
  await refresh();
  expect(wrapper.find('[role="alert"]').text()).toContain('no such peer');
  await wrapper.find('button[aria-label="Dismiss"]').trigger('click');
  expect(texts()).toEqual([]);
  await refresh();
  expect(wrapper.find('[role="alert"]').exists()).toBe(false);
});

test('an error the pointer rests on stays, and goes 15 s after the pointer leaves', async () => {
  const { notifications, wrapper, refresh } = mountList();
  notifications.push('error', 'Restarting 127.0.0.1:4002: it is gone');
  await refresh();
  const notice = wrapper.find('[data-testid="notice"]');
  vi.advanceTimersByTime(10_000);
  await notice.trigger('mouseenter');
  vi.advanceTimersByTime(5 * 60_000);
  expect(texts()).toEqual(['Restarting 127.0.0.1:4002: it is gone']);
  await notice.trigger('mouseleave');
  vi.advanceTimersByTime(15_000 - 1);
  expect(texts()).toHaveLength(1);
  vi.advanceTimersByTime(1);
  expect(texts()).toEqual([]);
});

test('focus in a notice holds it as the pointer does, until both have left', async () => {
  const { notifications, wrapper, refresh } = mountList();
  notifications.push('error', 'Stopping the cluster: timed out');
  await refresh();
  const notice = wrapper.find('[data-testid="notice"]');
  await notice.trigger('focusin');
  await notice.trigger('mouseenter');
  await notice.trigger('mouseleave');
  vi.advanceTimersByTime(60_000);
  expect(texts()).toHaveLength(1);
  await notice.trigger('focusout');
  vi.advanceTimersByTime(15_000);
  expect(texts()).toEqual([]);
});

test('at most five notices; one pushed out leaves no timer behind', () => {
  const notifications = useNotificationsStore();
  for (let index = 1; index <= 7; index++) notifications.push('error', `error ${index}`);
  expect(texts()).toEqual(['error 3', 'error 4', 'error 5', 'error 6', 'error 7']);
  expect(vi.getTimerCount()).toBe(5);
  vi.advanceTimersByTime(15_000);
  expect(texts()).toEqual([]);
  expect(vi.getTimerCount()).toBe(0);
});
