/**
 * `npm run bench:ui`: the window under load, in Debian's Chromium driven by Playwright, against
 * real peers: 30 peer processes (SWIM, 100 ms ticks, every message journaled as the app does)
 * behind the web server of `ringside serve`, and a workload of 1,000 key-value operations per
 * second from this process.
 *
 *   1. Frame times: requestAnimationFrame deltas in the page while the Cluster, Membership, Log
 *      and Charts views are each on screen in turn (20 s each), and the event stream's delay
 *      from peer to screen (the stream store's own measure: when a frame applies a batch, now
 *      minus the newest entry's time; the oldest entry's delay is shown too).
 *   2. The log with 1,000,000 lines: a million synthetic entries loaded into the journal store
 *      (a bench-only path, refused without `?bench` in the address), then scrolled for 5 s (fast
 *      steps, then jumps across the list) while frame times are measured.
 *
 *   npm run bench:ui                       30 peers, 1,000 operations/s, 20 s per view (about 3 minutes)
 *   npm run bench:ui -- --quick            5 peers, 200 operations/s, 5 s per view (a smoke check)
 *   npm run bench:ui -- --seconds 10       another time per view
 *   npm run bench:ui -- --profile          also a CPU profile of the page in each phase: the functions it spent most time in
 *
 * The page's state is read through its Pinia stores (the Vue app on `#app`); nothing is added to
 * the window for the benchmark but the `?bench` gate on the synthetic fill. Tables go to standard
 * output, progress to standard error. Peers, the server, Chromium and the build folder are all
 * removed on the way out, Ctrl-C included.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import { ClusterManager } from '../src/main/cluster/manager.ts';
import { READY_TIMEOUT_MS } from '../src/main/cluster/spawn.ts';
import { ApiServer } from '../src/main/server/server.ts';
import { benchBegan, closeAll, closeAllOnSignals, killQuietly, progress, sleep, track } from './children.ts';
import { table } from './report.ts';
import { printTimelineFigures, timelineFigures } from './timeline.ts';
import { measureTimelineInPage, printInPageTimeline, TARGET_DIAGRAM_FRAME_MS, TARGET_SEEK_MS } from './ui-timeline.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, seconds: { type: 'string' }, profile: { type: 'boolean', default: false } } });
const quick = values.quick;
const PEERS = quick ? 5 : 30;
const OPERATIONS_PER_SECOND = quick ? 200 : 1000;
const VIEW_MS = (values.seconds !== undefined ? Number(values.seconds) : quick ? 5 : 20) * 1000;
if (!Number.isFinite(VIEW_MS) || VIEW_MS <= 0) throw new Error(`--seconds: a positive number of seconds, not ${values.seconds}`);
const SCROLL_MS = quick ? 3000 : 5000;
const LOG_LINES = 1_000_000;
const TICK_MS = 100;
/** Operations in flight at most: a slow cluster makes the workload fall behind, not pile up. */
const CONCURRENCY_MAX = 128;
const KEYS = 10_000;
const VIEWS = ['cluster', 'membership', 'log', 'charts'] as const;
const CHROMIUM_PATH = process.env['RINGSIDE_CHROMIUM'] ?? '/usr/bin/chromium';
/** As the end-to-end tests run it (test/e2e/support/app.ts). */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const TARGET_FRAME_MS = 16;
const TARGET_DELAY_MS = 250;

const began = benchBegan;

closeAllOnSignals();

// ------------------------------------------------------------------------------------------
// Figures

function quantile(values: readonly number[], fraction: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * fraction;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}

const ms = (value: number | undefined, digits = 1): string => (value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits));
const count = (value: number): string => Math.round(value).toLocaleString('en');
const percent = (share: number): string => `${(share * 100).toFixed(0)} %`;

interface Verdict {
  readonly target: string;
  readonly figure: string;
  readonly met: boolean | undefined;
}
const verdicts: Verdict[] = [];

function sourceState(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = git('status', '--porcelain', '--', 'src').split('\n').filter((line) => line !== '').length;
    return `commit ${git('rev-parse', '--short', 'HEAD')}${changed > 0 ? `, with ${changed} uncommitted change${changed === 1 ? '' : 's'} in src/` : ''}`;
  } catch {
    return 'commit unknown';
  }
}

// ------------------------------------------------------------------------------------------
// CPU: who used the machine during each phase (this process, the peers, Chromium, others)

interface ProcessInfo {
  readonly parent: number;
  readonly ticks: number;
}

function processTable(): Map<number, ProcessInfo> {
  const table = new Map<number, ProcessInfo>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // Gone meanwhile.
    }
  }
  return table;
}

function machineBusyTicks(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

interface CpuSample {
  readonly at: number;
  readonly machine: number;
  readonly bench: number;
  readonly peers: number;
  readonly chromium: number;
}

function descendantsTicks(processes: Map<number, ProcessInfo>, root: number): number {
  let total = 0;
  const stack = [root];
  const children = new Map<number, number[]>();
  for (const [pid, info] of processes) {
    const list = children.get(info.parent) ?? [];
    list.push(pid);
    children.set(info.parent, list);
  }
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    total += processes.get(pid)?.ticks ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** Chromium's browser process (found once it runs). */
let chromiumPid: number | undefined;

function cpuSample(manager: ClusterManager): CpuSample {
  const processes = processTable();
  const peers = manager.peers().reduce((sum, peer) => sum + (peer.pid === undefined ? 0 : (processes.get(peer.pid)?.ticks ?? 0)), 0);
  const chromiumTicks = chromiumPid === undefined ? 0 : descendantsTicks(processes, chromiumPid);
  return { at: Date.now(), machine: machineBusyTicks(), bench: processes.get(process.pid)?.ticks ?? 0, peers, chromium: chromiumTicks };
}

interface CpuShares {
  readonly machine: number;
  readonly bench: number;
  readonly peers: number;
  readonly chromium: number;
  readonly others: number;
}

function cpuShares(from: CpuSample, to: CpuSample): CpuShares {
  const capacity = ((to.at - from.at) / 1000) * 100 * cpus().length;
  const share = (ticks: number): number => (capacity <= 0 ? 0 : Math.max(0, ticks) / capacity);
  const machine = to.machine - from.machine;
  const bench = to.bench - from.bench;
  const peers = to.peers - from.peers;
  const chromiumTicks = to.chromium - from.chromium;
  return { machine: share(machine), bench: share(bench), peers: share(peers), chromium: share(chromiumTicks), others: share(machine - bench - peers - chromiumTicks) };
}

// ------------------------------------------------------------------------------------------
// The workload: puts and reads through the peers at a steady rate, bounded in flight

class Workload {
  issued = 0;
  completed = 0;
  failed = 0;
  errors = 0;
  readonly latenciesMs: number[] = [];
  #inFlight = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #startedAt = 0;
  #stoppedAt = 0;
  /** The next key a put writes, and the keys a put has stored (reads ask only for those). */
  #nextKey = 0;
  readonly #stored: number[] = [];
  readonly #storedSet = new Set<number>();
  readonly #manager: ClusterManager;
  readonly #rate: number;
  #drained: (() => void) | undefined;

  constructor(manager: ClusterManager, ratePerSecond: number) {
    this.#manager = manager;
    this.#rate = ratePerSecond;
  }

  start(): void {
    this.#startedAt = Date.now();
    // Every 5 ms, as many operations as the schedule says are due, within the bound.
    this.#timer = setInterval(() => {
      const due = Math.floor(((Date.now() - this.#startedAt) * this.#rate) / 1000) - this.issued;
      for (let index = 0; index < due && this.#inFlight < CONCURRENCY_MAX; index++) this.#one();
    }, 5);
  }

  #one(): void {
    const number = this.issued++;
    this.#inFlight++;
    // Half writes, half reads of keys a write has stored (a read of a key whose put is still
    // under way would be refused as missing, which says nothing about the cluster).
    const write = number % 2 === 0 || this.#stored.length === 0;
    const index = write ? this.#nextKey++ % KEYS : (this.#stored[number % this.#stored.length] as number);
    const key = `bench:${index}`;
    const started = performance.now();
    const operation = write ? this.#manager.put(key, `value-${number}-${'x'.repeat(24)}`) : this.#manager.get(key);
    operation.then(
      (result) => {
        this.completed++;
        if (!result.ok) this.failed++;
        else if (write && !this.#storedSet.has(index)) {
          this.#storedSet.add(index);
          this.#stored.push(index);
        }
        this.latenciesMs.push(performance.now() - started);
      },
      () => this.errors++,
    ).finally(() => {
      this.#inFlight--;
      if (this.#inFlight === 0) this.#drained?.();
    });
  }

  /** Stops issuing; resolves when the operations in flight are done. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#stoppedAt = Date.now();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
  }

  get seconds(): number {
    return ((this.#stoppedAt || Date.now()) - this.#startedAt) / 1000;
  }
}

// ------------------------------------------------------------------------------------------
// The page's side: a frame recorder and a stream consumer, read through Pinia

interface PhaseFigures {
  readonly longFrames: LongFrame[];
  readonly frames: number[];
  readonly work: number[];
  readonly delays: number[];
  readonly oldestDelays: number[];
  readonly entries: number;
  readonly dropped: number;
  readonly longTasks: number;
  readonly longTaskMs: number;
  readonly rows: number;
  /** The page's JavaScript heap at the end of the phase (Chromium's `performance.memory`). */
  readonly heapBytes: number;
}

/*
 * The functions below run in the page (Playwright sends their source). This file is checked
 * without the DOM's types, so they reach the page's globals through these few declarations.
 */
interface PageBox {
  readonly top: number;
  readonly bottom: number;
}
interface PageElement {
  scrollTop: number;
  readonly scrollHeight: number;
  readonly clientHeight: number;
  getBoundingClientRect(): PageBox;
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
}
interface PageStores {
  readonly _s: Map<string, unknown>;
}
interface PageBatch {
  readonly entries: readonly { readonly at: number }[];
  readonly now: number;
  readonly dropped: number;
}
interface LongFrameEntry {
  readonly startTime: number;
  readonly duration: number;
  readonly renderStart: number;
  readonly scripts: readonly { invoker: string; sourceFunctionName: string; duration: number; forcedStyleAndLayoutDuration: number }[];
}
interface LongFrame {
  readonly ms: number;
  /** From the start of the frame's rendering (animation callbacks, style, layout, paint) to its end. */
  readonly renderMs: number;
  readonly scripts: readonly { what: string; ms: number; forcedLayoutMs: number }[];
}
interface Probe {
  longFrames: LongFrame[];
  frames: number[];
  work: number[];
  delays: number[];
  oldestDelays: number[];
  entries: number;
  dropped: number;
  longTasks: number;
  longTaskMs: number;
  last: number;
}
interface PageGlobals {
  readonly document: {
    querySelector(selector: string): (PageElement & { __vue_app__?: { config: { globalProperties: { $pinia?: PageStores } } }; getAttribute(name: string): string | null; click(): void }) | null;
    querySelectorAll(selector: string): { readonly length: number };
  };
  requestAnimationFrame(callback: (time: number) => void): number;
  readonly performance: { memory?: { usedJSHeapSize: number } };
  readonly MessageChannel: new () => { port1: { onmessage: (() => void) | null }; port2: { postMessage(message: unknown): void } };
  readonly PerformanceObserver: new (callback: (list: { getEntries(): { duration: number }[] }) => void) => { observe(options: { type: string; buffered?: boolean }): void };
  __uiBench?: Probe;
}

/** Installs `window.__uiBench` in the page: rAF deltas, per-frame stream delays, long tasks. */
async function installProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const inPage = globalThis as unknown as PageGlobals;
    const stores = inPage.document.querySelector('#app')?.__vue_app__?.config.globalProperties.$pinia;
    const stream = stores?._s.get('stream') as { consume(consumer: (batch: PageBatch) => void): void } | undefined;
    if (stream === undefined) throw new Error('no stream store in the page: is this the Ringside window?');
    const probe: Probe = { longFrames: [], frames: [], work: [], delays: [], oldestDelays: [], entries: 0, dropped: 0, longTasks: 0, longTaskMs: 0, last: 0 };
    // A frame's work: from its first animation-frame callback (this one: registered a frame
    // ahead, it runs before the window's) to the first task after the frame's style, layout
    // and paint, which a message posted now waits for.
    const channel = new inPage.MessageChannel();
    let frameStarted = 0;
    channel.port1.onmessage = () => probe.work.push(performance.now() - frameStarted);
    const loop = (time: number): void => {
      frameStarted = performance.now();
      channel.port2.postMessage(0);
      if (probe.last > 0) probe.frames.push(time - probe.last);
      probe.last = time;
      inPage.requestAnimationFrame(loop);
    };
    inPage.requestAnimationFrame(loop);
    stream.consume((batch) => {
      probe.dropped += batch.dropped;
      const newest = batch.entries[batch.entries.length - 1];
      const oldest = batch.entries[0];
      if (newest === undefined || oldest === undefined) return;
      probe.entries += batch.entries.length;
      probe.delays.push(batch.now - newest.at);
      probe.oldestDelays.push(batch.now - oldest.at);
    });
    try {
      new inPage.PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          probe.longTasks++;
          probe.longTaskMs += entry.duration;
        }
      }).observe({ type: 'longtask', buffered: false });
    } catch {
      // No long-task timing here: the figure stays zero.
    }
    try {
      // Long animation frames (over 50 ms): what their time went to, for --profile.
      new inPage.PerformanceObserver((list) => {
        for (const entry of list.getEntries() as unknown as LongFrameEntry[]) {
          const scripts = entry.scripts.map((script) => ({ what: `${script.invoker} ${script.sourceFunctionName || ''}`.trim(), ms: script.duration, forcedLayoutMs: script.forcedStyleAndLayoutDuration }));
          probe.longFrames.push({ ms: entry.duration, renderMs: entry.renderStart > 0 ? entry.startTime + entry.duration - entry.renderStart : 0, scripts });
        }
      }).observe({ type: 'long-animation-frame', buffered: false });
    } catch {
      // No long-animation-frame timing in this Chromium.
    }
    inPage.__uiBench = probe;
  });
}

/** The figures since the last take, and a fresh start. */
async function take(page: Page): Promise<PhaseFigures> {
  return page.evaluate(() => {
    const inPage = globalThis as unknown as PageGlobals;
    const probe = inPage.__uiBench;
    if (probe === undefined) throw new Error('the probe is not installed');
    const figures = {
      longFrames: probe.longFrames,
      frames: probe.frames,
      work: probe.work,
      delays: probe.delays,
      oldestDelays: probe.oldestDelays,
      entries: probe.entries,
      dropped: probe.dropped,
      longTasks: probe.longTasks,
      longTaskMs: probe.longTaskMs,
      rows: inPage.document.querySelectorAll('[data-testid="log-line"]').length,
      heapBytes: inPage.performance.memory?.usedJSHeapSize ?? 0,
    };
    Object.assign(probe, { longFrames: [], frames: [], work: [], delays: [], oldestDelays: [], entries: 0, dropped: 0, longTasks: 0, longTaskMs: 0 });
    return figures;
  });
}

/** Waits until the journal store has loaded the session so far; the lines it holds then. */
async function waitForHistory(page: Page): Promise<number> {
  const handle = await page.waitForFunction(
    () => {
      const inPage = globalThis as unknown as PageGlobals;
      const journal = inPage.document.querySelector('#app')?.__vue_app__?.config.globalProperties.$pinia?._s.get('journal') as { history: string; stats: { size: number } } | undefined;
      return journal !== undefined && journal.history !== 'loading' && journal.history !== 'idle' ? journal.stats.size : false;
    },
    undefined,
    { timeout: 60_000, polling: 100 },
  );
  return (await handle.jsonValue()) as number;
}

/** Loads `lines` synthetic entries into the journal store (the `?bench` path); ms it took. */
async function fillLog(page: Page, lines: number): Promise<{ fillMs: number; size: number }> {
  return page.evaluate(async (count) => {
    const inPage = globalThis as unknown as PageGlobals;
    const stores = inPage.document.querySelector('#app')?.__vue_app__?.config.globalProperties.$pinia;
    const journal = stores?._s.get('journal') as { benchFill(count: number): number; stats: { size: number } } | undefined;
    if (journal === undefined) throw new Error('no journal store: open the Log view first');
    const started = performance.now();
    journal.benchFill(count);
    // Let the view render the full list once before measuring.
    await new Promise((resolve) => inPage.requestAnimationFrame(() => inPage.requestAnimationFrame(resolve)));
    return { fillMs: performance.now() - started, size: journal.stats.size };
  }, lines);
}

/** Scrolls the log for `durationMs`: fast steps for the first half, then jumps across it. */
async function scrollLog(page: Page, durationMs: number): Promise<{ steps: number; scrollHeight: number; checked: number; mismatched: number }> {
  return page.evaluate(async (duration) => {
    const inPage = globalThis as unknown as PageGlobals;
    const scroller = inPage.document.querySelector('[data-testid="log-scroller"]');
    if (scroller === null) throw new Error('no log scroller on screen');
    // Scrolling from a script is not the user's: pause following as the user would, first.
    const follow = inPage.document.querySelector('[data-testid="log-follow"]');
    if (follow?.getAttribute('aria-pressed') === 'true') follow.click();
    const rowPx = 20;
    const started = performance.now();
    let steps = 0;
    let checked = 0;
    let mismatched = 0;
    await new Promise<void>((resolve) => {
      const step = (): void => {
        const elapsed = performance.now() - started;
        if (elapsed >= duration) {
          resolve();
          return;
        }
        // The row at the top of the viewport is the one the scroll position says it should be
        // (every 16th step: reading positions forces a layout, which would weigh on the figures).
        const frameTop = steps % 16 === 1 ? scroller.getBoundingClientRect().top : 0;
        const top = steps % 16 === 1 ? [...scroller.querySelectorAll('[data-testid="log-line"]')].find((line) => line.getBoundingClientRect().bottom > frameTop + 1) : undefined;
        if (top !== undefined) {
          checked++;
          const rowTop = top.getBoundingClientRect().top - frameTop + scroller.scrollTop;
          if (Math.abs(Math.round(rowTop / rowPx) - Math.floor(scroller.scrollTop / rowPx)) > 1) mismatched++;
        }
        const max = scroller.scrollHeight - scroller.clientHeight;
        scroller.scrollTop = elapsed < duration / 2 ? (scroller.scrollTop + 2400) % max : (((steps * 7919) % 1000) / 1000) * max;
        steps++;
        inPage.requestAnimationFrame(step);
      };
      inPage.requestAnimationFrame(step);
    });
    return { steps, scrollHeight: scroller.scrollHeight, checked, mismatched };
  }, durationMs);
}

// ------------------------------------------------------------------------------------------

interface PhaseResult {
  readonly name: string;
  readonly figures: PhaseFigures;
  readonly cpu: CpuShares;
  /** How late entries reached the manager's journal (the first leg of their way to the screen), ms. */
  readonly managerDelays: number[];
  /** The page's main thread: busy share, and the part running script. */
  readonly main: MainThread;
}

interface MainThread {
  readonly busy: number;
  readonly script: number;
}

/** Chromium's own counters for the page (CDP `Performance.getMetrics`): seconds of main-thread tasks and of script. */
interface MainThreadSample {
  readonly at: number;
  readonly task: number;
  readonly script: number;
}

async function mainThreadSample(session: CDPSession): Promise<MainThreadSample> {
  const { metrics } = (await session.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const value = (name: string): number => metrics.find((metric) => metric.name === name)?.value ?? 0;
  return { at: Date.now(), task: value('TaskDuration'), script: value('ScriptDuration') };
}

function mainThreadShares(from: MainThreadSample, to: MainThreadSample): MainThread {
  const seconds = (to.at - from.at) / 1000;
  return seconds <= 0 ? { busy: 0, script: 0 } : { busy: (to.task - from.task) / seconds, script: (to.script - from.script) / seconds };
}

/** Measures one phase: figures from the page, CPU of every party, the page's main thread. */
async function measure(name: string, page: Page, session: CDPSession, manager: ClusterManager, during: () => Promise<unknown>): Promise<PhaseResult> {
  await take(page);
  const managerDelays: number[] = [];
  // One in eight entries is plenty, and keeps this process's share small.
  let seen = 0;
  const unsubscribe = manager.journal.subscribe((entry) => {
    if (seen++ % 8 === 0) managerDelays.push(Date.now() - entry.at);
  });
  const cpuFrom = cpuSample(manager);
  const mainFrom = await mainThreadSample(session);
  if (values.profile) {
    await session.send('Profiler.setSamplingInterval', { interval: 250 });
    await session.send('Profiler.start');
  }
  await during();
  unsubscribe();
  const main = mainThreadShares(mainFrom, await mainThreadSample(session));
  if (values.profile) profiles.set(name, ((await session.send('Profiler.stop')) as { profile: CpuProfile }).profile);
  return { name, figures: await take(page), cpu: cpuShares(cpuFrom, cpuSample(manager)), main, managerDelays };
}

interface CpuProfile {
  readonly nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}
const profiles = new Map<string, CpuProfile>();

/** The functions with the most self time in a profile: ms, share of the phase, where. */
function topFunctions(profile: CpuProfile, limit = 10): string[][] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    totalUs += delta;
    const frame = byNode.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') return;
    const file = frame.url.replace(/^.*\//, '');
    const key = `${frame.functionName || '(anonymous)'}  ${file}${file === '' ? '' : `:${frame.lineNumber + 1}:${frame.columnNumber + 1}`}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
  });
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([where, us]) => [where, ms(us / 1000, 0), percent(totalUs === 0 ? 0 : us / totalUs)]);
}

/** A frame interval longer than this skipped at least one 60 Hz refresh. */
const LATE_INTERVAL_MS = 25;

function lateShare(frames: readonly number[]): number {
  return frames.length === 0 ? 0 : frames.filter((frame) => frame > LATE_INTERVAL_MS).length / frames.length;
}

function phaseRow(result: PhaseResult, seconds: number): string[] {
  const { frames, work, delays, oldestDelays, entries, dropped, longTasks } = result.figures;
  return [
    result.name,
    count(frames.length),
    ms(quantile(work, 0.5)),
    ms(quantile(work, 0.95)),
    ms(quantile(frames, 0.5)),
    ms(quantile(frames, 0.95)),
    ms(Math.max(0, ...frames), 0),
    percent(lateShare(frames)),
    count(longTasks),
    `${percent(result.main.busy)} / ${percent(result.main.script)}`,
    ms(quantile(delays, 0.5), 0),
    ms(quantile(delays, 0.95), 0),
    ms(quantile(oldestDelays, 0.95), 0),
    `${ms(quantile(result.managerDelays, 0.5), 0)} / ${ms(quantile(result.managerDelays, 0.95), 0)}`,
    count(entries / seconds),
    count(dropped),
    count(result.figures.heapBytes / 1_048_576),
    `${percent(result.cpu.chromium)} / ${percent(result.cpu.peers)} / ${percent(result.cpu.bench)} / ${percent(result.cpu.others)}`,
  ];
}

const PHASE_HEADER = [
  'phase',
  'frames',
  'work p50',
  'p95',
  'interval p50',
  'p95',
  'max',
  'late',
  'long tasks',
  'main busy/script',
  'delay p50',
  'p95',
  'oldest p95',
  'to manager p50/p95',
  'entries/s',
  'dropped',
  'heap MB',
  'CPU chromium/peers/bench/others',
];

/** "Frame time under 16 ms": the frame's work fits the budget and frames keep the 60 Hz pace. */
function frameVerdict(target: string, figures: PhaseFigures): void {
  const work = quantile(figures.work, 0.5);
  const interval = quantile(figures.frames, 0.5);
  verdicts.push({
    target,
    met: work === undefined || interval === undefined ? undefined : work < TARGET_FRAME_MS && interval < LATE_INTERVAL_MS,
    figure: `work ${ms(work)} ms (p95 ${ms(quantile(figures.work, 0.95))}), interval ${ms(interval)} ms, ${percent(lateShare(figures.frames))} late`,
  });
}

async function run(): Promise<void> {
  const cores = cpus().length;
  console.log(`Ringside UI benchmark${quick ? ' (--quick)' : ''}: ${new Date().toISOString()}, ${cores} cores, Node ${process.version}`);
  console.log(`  Source: ${sourceState()}.`);
  console.log('');
  // The timeline first, alone on the machine (no peers, no browser yet).
  printTimelineFigures(timelineFigures());
  console.log('');

  progress('building the window (electron-vite build)…');
  const outDir = mkdtempSync(join(tmpdir(), 'ringside-bench-ui-'));
  track({ close: () => rmSync(outDir, { recursive: true, force: true }), killSync: () => rmSync(outDir, { recursive: true, force: true }) });
  execFileSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '--outDir', outDir, '--logLevel', 'error'], { cwd: ROOT, stdio: ['ignore', 2, 2] });

  progress(`starting ${PEERS} peers (SWIM, ${TICK_MS} ms ticks)…`);
  const manager = new ClusterManager({ tickMs: TICK_MS });
  track({
    close: () => manager.shutdown({ graceful: false }),
    killSync: () => {
      for (const peer of manager.peers()) if (peer.managed) killQuietly(peer.pid);
    },
  });
  const startedAt = Date.now();
  try {
    await manager.start(PEERS);
  } catch (error) {
    // A loaded machine: a peer missed the ready timeout. Let the others finish, add the rest.
    progress(`start: ${(error as Error).message}; adding the missing peers one by one`);
    await sleep(READY_TIMEOUT_MS + 1000);
    for (let attempt = 0; manager.runningPeers().length < PEERS; attempt++) {
      if (attempt >= 2 * PEERS) throw error;
      await manager.addPeer().catch(() => undefined);
    }
  }
  const startMs = Date.now() - startedAt;
  progress(`${manager.runningPeers().length} peers running after ${(startMs / 1000).toFixed(1)} s; waiting until every view has every member…`);
  const convergeStarted = Date.now();
  for (;;) {
    const views = await manager.views();
    const complete = [...views.values()].every((members) => members.filter((member) => member.state === 'alive').length >= PEERS);
    if (views.size >= PEERS && complete) break;
    if (Date.now() - convergeStarted > 60_000) {
      progress('not every view has every member after 60 s: measuring anyway');
      break;
    }
    await sleep(500);
  }

  const server = new ApiServer({ manager, startedAt }, { port: 0, rendererRoot: join(outDir, 'renderer') });
  track({ close: () => server.close(), killSync: () => undefined });
  const url = await server.listen();

  progress('opening Chromium…');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  track({ close: () => browser.close(), killSync: () => killQuietly(chromiumPid) });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const chromiumVersion = browser.version();
  chromiumPid = findChromiumPid();
  await page.goto(`${url}&bench`);
  await page.getByTestId('status-bar').getByText(`${PEERS} / ${PEERS} peers live`).waitFor({ timeout: 60_000 });
  await installProbe(page);
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  if (values.profile) await session.send('Profiler.enable');
  console.log(
    `  Cluster: ${PEERS} peers started in ${(startMs / 1000).toFixed(1)} s, SWIM, ${TICK_MS} ms ticks, every message journaled (the app's default); Chromium ${chromiumVersion} headless, 1400×900.`,
  );

  // 1. The views under the workload.
  const workload = new Workload(manager, OPERATIONS_PER_SECOND);
  progress(`workload: ${OPERATIONS_PER_SECOND} operations/s (half puts, half reads), at most ${CONCURRENCY_MAX} in flight`);
  workload.start();
  await sleep(3000);
  const results: PhaseResult[] = [];
  let historyLoad: { ms: number; lines: number } | undefined;
  for (const view of VIEWS) {
    const clicked = Date.now();
    await page.click(`nav [data-view="${view}"]`);
    // The log's first opening loads the session so far: measured apart, not in the frames.
    if (view === 'log') {
      const lines = await waitForHistory(page);
      historyLoad = { ms: Date.now() - clicked, lines };
    }
    await sleep(1000);
    progress(`${view}: measuring for ${VIEW_MS / 1000} s…`);
    results.push(await measure(view, page, session, manager, () => sleep(VIEW_MS)));
  }
  await workload.stop();
  const achieved = workload.completed / workload.seconds;
  const all = results.flatMap((result) => result.figures.delays);
  const allOldest = results.flatMap((result) => result.figures.oldestDelays);

  // 2. A million lines in the log, scrolled.
  progress(`log: loading ${LOG_LINES.toLocaleString('en')} synthetic lines…`);
  await page.click('nav [data-view="log"]');
  await sleep(500);
  const fill = await fillLog(page, LOG_LINES);
  await sleep(1000);
  progress(`log: scrolling ${LOG_LINES.toLocaleString('en')} lines for ${SCROLL_MS / 1000} s…`);
  let scroll: Awaited<ReturnType<typeof scrollLog>> | undefined;
  const scrolled = await measure(`log, ${LOG_LINES.toLocaleString('en')} lines, scrolling`, page, session, manager, async () => (scroll = await scrollLog(page, SCROLL_MS)));
  await sleep(1000);
  const idle = await measure(`log, ${LOG_LINES.toLocaleString('en')} lines, still`, page, session, manager, () => sleep(SCROLL_MS));
  if (scroll === undefined) throw new Error('the scroll did not run');
  progress('timeline: seeking, playing and drawing the space-time diagram of a synthetic 10-minute session…');
  const inPageTimeline = await measureTimelineInPage(page);

  console.log('');
  console.log(
    `Workload: ${OPERATIONS_PER_SECOND.toLocaleString('en')} operations/s asked (half puts, half quorum reads, ${CONCURRENCY_MAX} in flight at most) for ${workload.seconds.toFixed(0)} s: ` +
      `${count(achieved)} operations/s done, ${count(workload.failed)} refused by the quorum, ${count(workload.errors)} errors; latency p50 ${ms(quantile(workload.latenciesMs, 0.5))} ms, p99 ${ms(quantile(workload.latenciesMs, 0.99))} ms.`,
  );
  console.log('');
  console.log(`Frames and the event stream, each view on screen for ${VIEW_MS / 1000} s under the workload, then the log with ${LOG_LINES.toLocaleString('en')} lines (the workload stopped, the peers still running):`);
  console.log(table(PHASE_HEADER, [...results.map((result) => phaseRow(result, VIEW_MS / 1000)), phaseRow(scrolled, SCROLL_MS / 1000), phaseRow(idle, SCROLL_MS / 1000)]));
  console.log('  work: a frame\'s main-thread time, from its first animation-frame callback to the end of its style, layout and paint (the first');
  console.log('  task after them); interval: requestAnimationFrame deltas (16.7 ms at 60 Hz is every refresh, the floor); late: intervals over');
  console.log(`  ${LATE_INTERVAL_MS} ms (a refresh skipped); long tasks: main-thread tasks over 50 ms. delay: when a frame applies a batch of events, now minus`);
  console.log('  the newest entry\'s time (the stream store\'s measure), and minus the oldest\'s (oldest p95); to manager: how late entries reach the');
  console.log('  manager\'s journal in this process, the first leg of the same way (peer → manager → server → page). dropped: entries the server dropped because');
  console.log('  the page read too slowly. CPU: share of all cores used by Chromium (all its processes), the peers, this process (manager, server,');
  console.log('  workload) and other processes on the machine. main busy/script: the share of the page\'s main thread busy with tasks, and running');
  console.log('  script (Chromium\'s own counters). heap: the page\'s JavaScript heap at the end of the phase.');
  if (historyLoad !== undefined) console.log(`  Opening the log the first time loaded the session so far, ${count(historyLoad.lines)} lines, in ${count(historyLoad.ms)} ms (not in the log's figures).`);
  console.log(
    `  The fill of ${LOG_LINES.toLocaleString('en')} lines took ${ms(fill.fillMs, 0)} ms (${count(fill.size)} kept); the scroll made ${count(scroll.steps)} steps over ${count(scroll.scrollHeight)} px with ` +
      `${count(scrolled.figures.rows)} rows in the page; the top row matched the scroll position ${count(scroll.checked - scroll.mismatched)} of ${count(scroll.checked)} times.`,
  );
  console.log('');
  const timelineVerdicts = printInPageTimeline(inPageTimeline);
  if (pageErrors.length > 0) console.log(`  The page threw: ${pageErrors.slice(0, 3).join('; ')}`);
  for (const [name, profile] of profiles) {
    const phase = [...results, scrolled, idle].find((result) => result.name === name);
    if (phase !== undefined && phase.figures.longFrames.length > 0) {
      const frames = phase.figures.longFrames;
      const byScript = new Map<string, { ms: number; layoutMs: number; count: number }>();
      for (const frame of frames) {
        for (const script of frame.scripts) {
          const total = byScript.get(script.what) ?? { ms: 0, layoutMs: 0, count: 0 };
          byScript.set(script.what, { ms: total.ms + script.ms, layoutMs: total.layoutMs + script.forcedLayoutMs, count: total.count + 1 });
        }
      }
      console.log('');
      console.log(
        `Long animation frames, ${name}: ${frames.length}, ${ms(frames.reduce((sum, frame) => sum + frame.ms, 0), 0)} ms in all, of which rendering (style, layout, paint) ${ms(frames.reduce((sum, frame) => sum + frame.renderMs, 0), 0)} ms; their scripts:`,
      );
      console.log(
        table(
          ['script (invoker, function)', 'count', 'ms', 'forced layout ms'],
          [...byScript].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8).map(([what, total]) => [what.slice(0, 90), count(total.count), ms(total.ms, 0), ms(total.layoutMs, 0)]),
        ),
      );
    }
    console.log('');
    console.log(`Profile of the page, ${name}: self time by function (the built, minified window; (program) and (garbage collector) are Chromium's own)`);
    console.log(table(['function  file:line:column', 'ms', 'share'], topFunctions(profile)));
  }
  console.log('');

  for (const result of results) frameVerdict(`median frame time < ${TARGET_FRAME_MS} ms: ${result.name} view, ${PEERS} peers, ${OPERATIONS_PER_SECOND} ops/s`, result.figures);
  const delayMedian = quantile(all, 0.5);
  verdicts.push({
    target: `peer → screen delay < ${TARGET_DELAY_MS} ms (median, all four views)`,
    met: delayMedian === undefined ? undefined : delayMedian < TARGET_DELAY_MS,
    figure: `${ms(delayMedian, 0)} ms (p95 ${ms(quantile(all, 0.95), 0)}, oldest entry p95 ${ms(quantile(allOldest, 0.95), 0)})`,
  });
  frameVerdict(`${LOG_LINES.toLocaleString('en')}-line log scrolls < ${TARGET_FRAME_MS} ms per frame (median)`, scrolled.figures);
  verdicts.push({
    target: `seek to any moment of a 30-peer 10-minute session < ${TARGET_SEEK_MS} ms (median and p95, until drawn)`,
    met: timelineVerdicts.seekP95Ms === undefined ? undefined : timelineVerdicts.seekP95Ms < TARGET_SEEK_MS,
    figure: `${ms(timelineVerdicts.seekMedianMs, 0)} ms (p95 ${ms(timelineVerdicts.seekP95Ms, 0)})`,
  });
  verdicts.push({
    target: `space-time diagram with ${count(inPageTimeline.diagramMessages)} messages in view: frame work < ${TARGET_DIAGRAM_FRAME_MS} ms (median)`,
    met: timelineVerdicts.diagramMedianMs === undefined ? undefined : timelineVerdicts.diagramMedianMs < TARGET_DIAGRAM_FRAME_MS,
    figure: `${ms(timelineVerdicts.diagramMedianMs, 1)} ms`,
  });
  console.log('Targets');
  console.log(table(['target', 'figure', 'result'], verdicts.map((entry) => [entry.target, entry.figure, entry.met === undefined ? 'not measured' : entry.met ? 'met' : 'MISSED']), 3));
  const missed = verdicts.filter((entry) => entry.met === false).length;
  console.log(`  ${verdicts.length - missed} met, ${missed} missed; ${((Date.now() - began) / 1000).toFixed(0)} s in all`);
}

/** Chromium's browser process: the child of this process whose command is the Chromium binary. */
function findChromiumPid(): number | undefined {
  for (const [pid, info] of processTable()) {
    if (info.parent !== process.pid) continue;
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '';
      if (command.includes('chrom')) return pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return undefined;
}

let failed = false;
try {
  await run();
} catch (error) {
  failed = true;
  console.log(`\nThe benchmark stopped: ${(error as Error).stack ?? String(error)}`);
} finally {
  await closeAll();
}
process.exitCode = failed ? 1 : 0;
