/**
 * The timeline's own figures (`src/shared/journal/timeline.ts`), with no browser: the work the
 * window does to show a moment, apart from drawing it.
 *
 * The session: 30 SWIM peers in the simulator for 10 minutes of 100 ms ticks (6,000 ticks),
 * every message journaled as the app does, with a kill, a restart, a leave and a partition, as
 * session entries 100 ms apart per tick, and the key-value results of `bench:ui`'s workload
 * (1,000 operations a second, one result each, spread over the peers): the journal of a real
 * 30-peer, 10-minute session has the same kinds of entries. Its count is printed.
 *
 *   seek: `worldAt(p)` for 300 positions drawn at random (a fixed seed): median, p95, max.
 *   play at 10×: one `worldAt` per 60 Hz frame, each 10 × 16.7 ms of session time after the last,
 *   through the whole session: the work of one frame, median and p95.
 *
 *   npm run bench:timeline       also printed by `npm run bench:ui`
 */
import { performance } from 'node:perf_hooks';
import type { SessionEntry } from '../src/shared/journal/session.ts';
import { Timeline } from '../src/shared/journal/timeline.ts';
import { MembershipCluster } from '../src/shared/sim/membership-cluster.ts';
import { table } from './report.ts';

const PEERS = 30;
const TICK_MS = 100;
const SESSION_TICKS = 6000;
const SEEKS = 300;
/** `bench:ui`'s workload: 1,000 operations a second. */
const OPERATIONS_PER_TICK = 100;
const PLAY_SPEED = 10;
const FRAME_MS = 1000 / 60;
export const TARGET_SEEK_MS = 200;
export const TARGET_FRAME_MS = 16;

export interface TimelineFigures {
  readonly entries: number;
  readonly buildMs: number;
  readonly seekMs: { readonly median: number; readonly p95: number; readonly max: number };
  readonly playFrameMs: { readonly median: number; readonly p95: number; readonly frames: number };
  readonly heapMb: number;
}

function quantile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

/** The 10-minute session's journal, from the simulator. */
export function simulatedSession(ticks = SESSION_TICKS): SessionEntry[] {
  const entries: SessionEntry[] = [];
  let resultsTick = 0;
  const startAt = Date.UTC(2026, 11, 8, 10, 0, 0);
  const cluster = new MembershipCluster({
    protocol: 'swim',
    peers: PEERS,
    seed: 30,
    recordMessages: true,
    onEvent: (event) => {
      // The workload's results of the ticks before this event's, 100 per tick.
      for (; resultsTick < event.tick; resultsTick++) {
        for (let index = 0; index < OPERATIONS_PER_TICK; index++) {
          const peer = cluster.ids[(resultsTick + index) % PEERS] as string;
          const key = `key${(resultsTick * OPERATIONS_PER_TICK + index) % 10_000}`;
          entries.push({ seq: entries.length, at: startAt + resultsTick * TICK_MS + index, event: { kind: 'kv.result', tick: resultsTick, peer, transaction: resultsTick * OPERATIONS_PER_TICK + index, op: index % 2 === 0 ? 'read' : 'put', key, ok: true, latencyTicks: 1, replicas: [] } });
        }
      }
      entries.push({ seq: entries.length, at: startAt + event.tick * TICK_MS, event });
    },
  });
  entries.push({ seq: 0, at: startAt, event: { kind: 'cluster.started', tick: 0, peer: 'manager', epoch: 1, cluster: 'kv', peers: PEERS, tickMs: TICK_MS, protocol: 'swim', quorum: 'strict' } });
  for (const id of cluster.ids) cluster.start(id);
  const at = (fraction: number): number => Math.floor(ticks * fraction);
  const fault = (description: string): void => {
    entries.push({ seq: entries.length, at: startAt + cluster.now * TICK_MS, event: { kind: 'fault.changed', tick: cluster.now, description } });
  };
  const ids = cluster.ids;
  const steps: [number, () => void][] = [
    [at(0.2), () => cluster.crash(ids[7] as string)],
    [at(0.35), () => cluster.start(ids[7] as string)],
    [
      at(0.5),
      () => {
        cluster.sim.network.partition(ids.slice(0, 10), ids.slice(10), false);
        fault('partition 1-10 | 11-30');
      },
    ],
    [
      at(0.6),
      () => {
        cluster.sim.network.healAll();
        fault('no faults');
      },
    ],
    [at(0.75), () => cluster.leave(ids[12] as string)],
    [ticks, () => undefined],
  ];
  for (const [tick, act] of steps) {
    cluster.runUntil(tick);
    act();
  }
  return entries;
}

export function timelineFigures(ticks = SESSION_TICKS): TimelineFigures {
  const entries = simulatedSession(ticks);
  const heapBefore = process.memoryUsage().heapUsed;
  const buildStart = performance.now();
  const timeline = new Timeline();
  for (let from = 0; from < entries.length; from += 5000) timeline.append(entries.slice(from, from + 5000));
  const buildMs = performance.now() - buildStart;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1_048_576;

  // A fixed sequence of positions (a linear congruential generator: the figures repeat).
  let state = 12345;
  const next = (): number => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  const seeks: number[] = [];
  for (let index = 0; index < SEEKS; index++) {
    const position = Math.floor(next() * timeline.size);
    const start = performance.now();
    const world = timeline.worldAt(position);
    seeks.push(performance.now() - start);
    if (world.position !== position) throw new Error(`seek to ${position} reached ${world.position}`);
  }
  seeks.sort((a, b) => a - b);

  const frames: number[] = [];
  const span = timeline.span;
  if (span === undefined) throw new Error('the simulated session is empty');
  for (let moment = span.fromAt; moment <= span.toAt; moment += PLAY_SPEED * FRAME_MS) {
    const start = performance.now();
    timeline.worldAt(timeline.positionAtTime(moment));
    frames.push(performance.now() - start);
  }
  frames.sort((a, b) => a - b);
  return {
    entries: entries.length,
    buildMs,
    seekMs: { median: quantile(seeks, 0.5), p95: quantile(seeks, 0.95), max: seeks[seeks.length - 1] as number },
    playFrameMs: { median: quantile(frames, 0.5), p95: quantile(frames, 0.95), frames: frames.length },
    heapMb,
  };
}

const ms = (value: number): string => value.toFixed(value < 10 ? 2 : 0);

export function printTimelineFigures(figures: TimelineFigures): void {
  console.log(`The timeline (no browser): a simulated ${PEERS}-peer SWIM session of ${SESSION_TICKS / 600} minutes at ${TICK_MS} ms ticks, every message journaled: ${figures.entries.toLocaleString('en')} entries.`);
  console.log(
    table(
      ['measure', 'median', 'p95', 'max', 'target'],
      [
        ['seek to a random moment (ms)', ms(figures.seekMs.median), ms(figures.seekMs.p95), ms(figures.seekMs.max), `< ${TARGET_SEEK_MS}`],
        [`one frame playing at ${PLAY_SPEED}× (ms, ${figures.playFrameMs.frames.toLocaleString('en')} frames)`, ms(figures.playFrameMs.median), ms(figures.playFrameMs.p95), '', `< ${TARGET_FRAME_MS}`],
      ],
    ),
  );
  console.log(`  Built in ${ms(figures.buildMs)} ms (every entry applied once, a snapshot every 2,000); heap grew ${figures.heapMb.toFixed(0)} MB while building (entries excluded).`);
  console.log('  seek: worldAt(position), the copy of the snapshot before it and the entries after; the views\' drawing is not included.');
}

if (import.meta.url === `file://${process.argv[1]}`) printTimelineFigures(timelineFigures());
