/**
 * The timeline in the window, for `npm run bench:ui`: a synthetic 30-peer, 10-minute session
 * (the `?bench` fill of the timeline store: 150,000 messages, each a send and a delivery, and
 * membership churn) shown as an imported journal, then
 *
 *   seek: 100 moments drawn at random (a fixed sequence), the Cluster view on screen: the store's
 *     seek (the world at that moment) and the time until the page has drawn it (two frames);
 *   play at 10×: the Cluster view on screen for 5 s: requestAnimationFrame intervals;
 *   the space-time diagram with every message of the session in view (window: 10 minutes): its
 *     rebuild (pairing) and its draw (canvas), on 20 steps of the timeline.
 */
import type { Page } from 'playwright-core';
import { table } from './report.ts';

const PEERS = 30;
const MINUTES = 10;
const MESSAGES = 150_000;
const SEEKS = 100;
const PLAY_MS = 5000;
const DIAGRAM_STEPS = 20;
export const TARGET_SEEK_MS = 200;
export const TARGET_DIAGRAM_FRAME_MS = 16;

export interface InPageTimelineFigures {
  readonly entries: number;
  readonly fillMs: number;
  readonly seekStoreMs: readonly number[];
  readonly seekDrawnMs: readonly number[];
  readonly playIntervalsMs: readonly number[];
  readonly diagramMessages: number;
  readonly diagramRebuildMs: readonly number[];
  readonly diagramDrawMs: readonly number[];
}

interface TimelineStore {
  benchFill(minutes: number, peers: number, messages: number): number;
  seek(position: number): void;
  step(direction: 1 | -1): void;
  play(): void;
  pause(): void;
  goLive(): void;
  speed: number;
  size: number;
}
interface InPage {
  document: { querySelector(selector: string): { __vue_app__?: { config: { globalProperties: { $pinia?: { _s: Map<string, unknown> } } } } } | null };
  requestAnimationFrame(callback: (time: number) => void): number;
  __ringsideDiagram?: { rebuilds: number[]; draws: number[] };
}

export async function measureTimelineInPage(page: Page): Promise<InPageTimelineFigures> {
  await page.click('nav [data-view="cluster"]');
  const filled = await page.evaluate(
    async ({ minutes, peers, messages, seeks }) => {
      const inPage = globalThis as unknown as InPage;
      const timeline = inPage.document.querySelector('#app')?.__vue_app__?.config.globalProperties.$pinia?._s.get('timeline') as TimelineStore | undefined;
      if (timeline === undefined) throw new Error('no timeline store in the page');
      const frame = (): Promise<void> => new Promise((resolve) => inPage.requestAnimationFrame(() => resolve()));
      const fillStart = performance.now();
      const entries = timeline.benchFill(minutes, peers, messages);
      const fillMs = performance.now() - fillStart;
      await frame();
      let state = 12345;
      const next = (): number => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
      const seekStoreMs: number[] = [];
      const seekDrawnMs: number[] = [];
      for (let index = 0; index < seeks; index++) {
        const start = performance.now();
        timeline.seek(Math.floor(next() * entries));
        seekStoreMs.push(performance.now() - start);
        await frame();
        await frame();
        seekDrawnMs.push(performance.now() - start);
      }
      return { entries, fillMs, seekStoreMs, seekDrawnMs };
    },
    { minutes: MINUTES, peers: PEERS, messages: MESSAGES, seeks: SEEKS },
  );
  const playIntervalsMs = await page.evaluate(async (playMs) => {
    const inPage = globalThis as unknown as InPage;
    const timeline = inPage.document.querySelector('#app')?.__vue_app__?.config.globalProperties.$pinia?._s.get('timeline') as TimelineStore;
    timeline.seek(1);
    timeline.speed = 10;
    timeline.play();
    const intervals: number[] = [];
    await new Promise<void>((resolve) => {
      let last: number | undefined;
      const started = performance.now();
      const tick = (time: number): void => {
        if (last !== undefined) intervals.push(time - last);
        last = time;
        if (performance.now() - started < playMs) inPage.requestAnimationFrame(tick);
        else resolve();
      };
      inPage.requestAnimationFrame(tick);
    });
    timeline.pause();
    return intervals;
  }, PLAY_MS);

  await page.click('nav [data-view="messages"]');
  await page.getByTestId('diagram-window').selectOption(String(MINUTES * 60_000));
  const diagram = await page.evaluate(
    async ({ steps }) => {
      const inPage = globalThis as unknown as InPage;
      const timeline = inPage.document.querySelector('#app')?.__vue_app__?.config.globalProperties.$pinia?._s.get('timeline') as TimelineStore;
      const frame = (): Promise<void> => new Promise((resolve) => inPage.requestAnimationFrame(() => resolve()));
      timeline.seek(timeline.size);
      await frame();
      await frame();
      const probe = inPage.__ringsideDiagram;
      if (probe === undefined) throw new Error('no diagram probe: is ?bench in the address?');
      probe.rebuilds.length = 0;
      probe.draws.length = 0;
      for (let step = 0; step < steps; step++) {
        timeline.step(-1);
        await frame();
        await frame();
      }
      return { rebuilds: [...probe.rebuilds], draws: [...probe.draws] };
    },
    { steps: DIAGRAM_STEPS },
  );
  const counts = (await page.getByTestId('diagram-counts').textContent()) ?? '';
  const diagramMessages = Number(/^([\d,]+) messages/.exec(counts)?.[1]?.replaceAll(',', '') ?? 0);
  await page.evaluate(() => {
    const inPage = globalThis as unknown as InPage;
    (inPage.document.querySelector('#app')?.__vue_app__?.config.globalProperties.$pinia?._s.get('timeline') as TimelineStore).goLive();
  });
  await page.click('nav [data-view="cluster"]');
  return { ...filled, playIntervalsMs, diagramMessages, diagramRebuildMs: diagram.rebuilds, diagramDrawMs: diagram.draws };
}

function quantile(values: readonly number[], fraction: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}
const ms = (value: number | undefined): string => (value === undefined ? '–' : value.toFixed(value < 10 ? 1 : 0));

export function printInPageTimeline(figures: InPageTimelineFigures): { seekMedianMs: number | undefined; seekP95Ms: number | undefined; diagramMedianMs: number | undefined } {
  const diagramFrames = figures.diagramDrawMs.map((draw, index) => draw + (figures.diagramRebuildMs[index] ?? 0));
  console.log(
    `The timeline in the window: a synthetic ${PEERS}-peer, ${MINUTES}-minute session of ${figures.entries.toLocaleString('en')} entries (${MESSAGES.toLocaleString('en')} messages) shown as an imported journal (filled in ${ms(figures.fillMs)} ms):`,
  );
  console.log(
    table(
      ['measure', 'median', 'p95', 'max', 'target'],
      [
        ['seek: the store (world at the moment), ms', ms(quantile(figures.seekStoreMs, 0.5)), ms(quantile(figures.seekStoreMs, 0.95)), ms(quantile(figures.seekStoreMs, 1)), ''],
        ['seek: until the Cluster view is drawn (2 frames), ms', ms(quantile(figures.seekDrawnMs, 0.5)), ms(quantile(figures.seekDrawnMs, 0.95)), ms(quantile(figures.seekDrawnMs, 1)), `< ${TARGET_SEEK_MS}`],
        ['playing at 10×: frame interval, ms', ms(quantile(figures.playIntervalsMs, 0.5)), ms(quantile(figures.playIntervalsMs, 0.95)), ms(quantile(figures.playIntervalsMs, 1)), '16.7 (60 Hz)'],
        [`diagram, ${figures.diagramMessages.toLocaleString('en')} messages: rebuild (pairing), ms`, ms(quantile(figures.diagramRebuildMs, 0.5)), ms(quantile(figures.diagramRebuildMs, 0.95)), ms(quantile(figures.diagramRebuildMs, 1)), ''],
        ['diagram: draw (canvas), ms', ms(quantile(figures.diagramDrawMs, 0.5)), ms(quantile(figures.diagramDrawMs, 0.95)), ms(quantile(figures.diagramDrawMs, 1)), ''],
        ['diagram: a frame that moves the moment (rebuild + draw), ms', ms(quantile(diagramFrames, 0.5)), ms(quantile(diagramFrames, 0.95)), ms(quantile(diagramFrames, 1)), `< ${TARGET_DIAGRAM_FRAME_MS}`],
      ],
    ),
  );
  console.log('  The diagram rebuilds only when the moment, the window or the scope changes (and at most every 300 ms while live); hovering redraws nothing.');
  return { seekMedianMs: quantile(figures.seekDrawnMs, 0.5), seekP95Ms: quantile(figures.seekDrawnMs, 0.95), diagramMedianMs: quantile(diagramFrames, 0.5) };
}
