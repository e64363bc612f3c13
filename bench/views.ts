/**
 * What every member of a group believes about every other, as the benchmark follows it: from
 * the Ringside journal's member events or from Serf's log lines, each stamped with the moment it
 * happened, so that "every view says X" is timed to the event that completed it rather than to
 * the next poll. Every such moment is then confirmed against what the members answer when asked
 * (`views()` over the control port, `serf members`), polling on if they disagree.
 */
import { sleep } from './children.ts';

export type Belief = 'alive' | 'suspect' | 'failed' | 'left';

/** `observer` declared `subject` failed (Ringside: dead) at `at`. */
export interface Declaration {
  readonly at: number;
  readonly observer: string;
  readonly subject: string;
}

interface Entry {
  readonly belief: Belief;
  readonly at: number;
}

export class ViewBook {
  readonly #views = new Map<string, Map<string, Entry>>();
  readonly declarations: Declaration[] = [];
  readonly #watchers = new Set<() => void>();

  set(observer: string, subject: string, belief: Belief, at: number): void {
    if (observer === subject) return;
    let view = this.#views.get(observer);
    if (view === undefined) this.#views.set(observer, (view = new Map()));
    view.set(subject, { belief, at });
    if (belief === 'failed') this.declarations.push({ at, observer, subject });
    for (const watcher of [...this.#watchers]) watcher();
  }

  /** A member that stopped: what it believed no longer counts. */
  forget(observer: string): void {
    this.#views.delete(observer);
  }

  entry(observer: string, subject: string): Entry | undefined {
    return this.#views.get(observer)?.get(subject);
  }

  /** Resolves with `check()` once it is defined (checked now and on every change), or undefined after the timeout. */
  until<T>(check: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const watcher = (): void => {
        const value = check();
        if (value === undefined) return;
        finish(value);
      };
      const finish = (value: T | undefined): void => {
        clearTimeout(timer);
        this.#watchers.delete(watcher);
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.#watchers.add(watcher);
    });
  }

  /** When every member came to see every other alive (the latest such event), or undefined. */
  allAlive(members: readonly string[]): number | undefined {
    let latest = 0;
    for (const observer of members) {
      for (const subject of members) {
        if (observer === subject) continue;
        const entry = this.entry(observer, subject);
        if (entry?.belief !== 'alive') return undefined;
        latest = Math.max(latest, entry.at);
      }
    }
    return latest;
  }

  /** When the first and the last of `observers` declared `subject` failed since `since`, or undefined. */
  failedEverywhere(subject: string, observers: readonly string[], since: number): { first: number; last: number } | undefined {
    let first = Infinity;
    let last = 0;
    for (const observer of observers) {
      const entry = this.entry(observer, subject);
      if (entry?.belief !== 'failed' || entry.at < since) return undefined;
      first = Math.min(first, entry.at);
      last = Math.max(last, entry.at);
    }
    return { first, last };
  }
}

/** One membership system's group, driven the same way whichever system it is. */
export interface MembershipTarget {
  readonly system: 'Ringside' | 'Serf';
  readonly size: number;
  readonly book: ViewBook;
  /** Members whose process runs. */
  live(): string[];
  /** Every member, in start order. */
  ids(): string[];
  /** SIGKILLs a member; resolves with the moment the signal was sent. */
  kill(id: string): Promise<number>;
  /** Starts a killed member again under the same name and address. */
  restart(id: string): Promise<void>;
  /** What each live member says when asked. */
  observed(): Promise<Map<string, Map<string, Belief>>>;
  /** Resident memory of each live member's process, kB. */
  rss(): number[];
  setLoss(loss: number): Promise<void>;
  close(): Promise<void>;
}

function everyoneAlive(observed: Map<string, Map<string, Belief>>, members: readonly string[]): boolean {
  return members.every((observer) => {
    const view = observed.get(observer);
    return view !== undefined && members.every((subject) => subject === observer || view.get(subject) === 'alive');
  });
}

/**
 * The moment every live member sees every other alive: from the events, confirmed by asking;
 * if the answers disagree, asking again every 200 ms (and timing by the answers). Undefined on timeout.
 */
export async function waitAllAlive(target: MembershipTarget, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  const fromEvents = await target.book.until(() => target.book.allAlive(target.live()), timeoutMs);
  for (let first = true; Date.now() < deadline; first = false) {
    if (everyoneAlive(await target.observed(), target.live())) return first && fromEvents !== undefined ? fromEvents : Date.now();
    await sleep(200);
  }
  return undefined;
}

/**
 * After `victim` was killed at `killedAt`: when the first and the last live member declared it
 * failed, confirmed by asking every one (and by polling if they disagree). Undefined on timeout.
 */
export async function waitFailedEverywhere(
  target: MembershipTarget,
  victim: string,
  killedAt: number,
  timeoutMs: number,
): Promise<{ first: number; last: number } | undefined> {
  const deadline = killedAt + timeoutMs;
  const observers = (): string[] => target.live().filter((id) => id !== victim);
  const fromEvents = await target.book.until(() => target.book.failedEverywhere(victim, observers(), killedAt), Math.max(0, deadline - Date.now()));
  for (let first = true; Date.now() < deadline; first = false) {
    const observed = await target.observed();
    const all = observers().every((observer) => observed.get(observer)?.get(victim) === 'failed');
    if (all) return first && fromEvents !== undefined ? fromEvents : { first: fromEvents?.first ?? Date.now(), last: Date.now() };
    await sleep(200);
  }
  return undefined;
}
