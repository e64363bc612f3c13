/**
 * What the charts draw, assembled from the metrics store's per-second buckets and the
 * membership store's agreement samples: plain arrays in uPlot's layout (`[x, ...series]`, x in
 * seconds since the epoch), one point per second over a fixed window so the charts scroll at
 * the same pace whether or not events come. Seconds without a bucket count as zero.
 */
import type { AgreementSample } from '../stores/membership.ts';
import type { FaultChange, SecondBucket } from '../stores/metrics.ts';
import { percentile } from './format.ts';

/** A line on a chart: its name in the legend, its colour, dashes for a secondary one. */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly dash?: number[];
}

/** One chart's data: `x` then one array per series (null: no value at that second). */
export type SeriesData = [number[], ...(number | null)[][]];

export interface TimeWindow {
  /** The first and the last second shown (inclusive), s since the epoch. */
  readonly fromSecond: number;
  readonly toSecond: number;
}

/**
 * The last `seconds` complete seconds before `nowMs`; when the figures begin later than that
 * (`firstSecond`, a young session), from a little before they begin, and at least a minute.
 */
export function windowEndingAt(nowMs: number, seconds: number, firstSecond?: number): TimeWindow {
  const toSecond = Math.floor(nowMs / 1000) - 1;
  const fromSecond = toSecond - seconds + 1;
  if (firstSecond === undefined) return { fromSecond, toSecond };
  return { fromSecond: Math.max(fromSecond, Math.min(firstSecond - 5, toSecond - 59)), toSecond };
}

function secondsOf(window: TimeWindow): number[] {
  const x: number[] = [];
  for (let second = window.fromSecond; second <= window.toSecond; second++) x.push(second);
  return x;
}

/** The buckets by second, within the window. */
function bucketsIn(buckets: readonly SecondBucket[], window: TimeWindow): Map<number, SecondBucket> {
  const bySecond = new Map<number, SecondBucket>();
  for (const bucket of buckets) if (bucket.second >= window.fromSecond && bucket.second <= window.toSecond) bySecond.set(bucket.second, bucket);
  return bySecond;
}

export interface MessageSeries {
  /** Series names: the busiest message types, then `other` when some were folded into it. */
  readonly labels: string[];
  readonly data: SeriesData;
}

/**
 * Messages sent per second by type: the `typesMax` busiest types over the window each get a
 * series, the rest add up in `other`, and `dropped` (by faults or full buffers) comes last.
 */
export function messageSeries(buckets: readonly SecondBucket[], window: TimeWindow, typesMax = 6): MessageSeries {
  const bySecond = bucketsIn(buckets, window);
  const totals = new Map<string, number>();
  for (const bucket of bySecond.values()) for (const [type, count] of bucket.messagesByType) totals.set(type, (totals.get(type) ?? 0) + count);
  const ranked = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([type]) => type);
  const shown = ranked.slice(0, typesMax).sort();
  const folded = ranked.length > typesMax;
  const x = secondsOf(window);
  const series = shown.map((type) => x.map((second) => bySecond.get(second)?.messagesByType.get(type) ?? 0));
  if (folded) {
    const kept = new Set(shown);
    series.push(
      x.map((second) => {
        let other = 0;
        for (const [type, count] of bySecond.get(second)?.messagesByType ?? []) if (!kept.has(type)) other += count;
        return other;
      }),
    );
  }
  series.push(x.map((second) => bySecond.get(second)?.droppedMessages ?? 0));
  return { labels: [...shown, ...(folded ? ['other'] : []), 'dropped'], data: [x, ...series] };
}

/** Operations decided per second: succeeded and failed. */
export function operationSeries(buckets: readonly SecondBucket[], window: TimeWindow): SeriesData {
  const bySecond = bucketsIn(buckets, window);
  const x = secondsOf(window);
  return [
    x,
    x.map((second) => {
      const bucket = bySecond.get(second);
      return bucket === undefined ? 0 : bucket.operations - bucket.failedOperations;
    }),
    x.map((second) => bySecond.get(second)?.failedOperations ?? 0),
  ];
}

export interface LatencyFigures {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
}

// A second's latencies are sorted once, not once per redraw: a bucket only grows while its
// second is current, so its length says whether the figures are still valid.
const latencyCache = new WeakMap<SecondBucket, LatencyFigures>();

export function latencyFigures(bucket: SecondBucket): LatencyFigures {
  const cached = latencyCache.get(bucket);
  if (cached !== undefined && cached.count === bucket.latenciesMs.length) return cached;
  const sorted = bucket.latenciesMs.slice().sort((a, b) => a - b);
  const figures = { count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99) };
  latencyCache.set(bucket, figures);
  return figures;
}

/** Operation latency per second: p50 and p99, ms (no value in a second without operations). */
export function latencySeries(buckets: readonly SecondBucket[], window: TimeWindow): SeriesData {
  const bySecond = bucketsIn(buckets, window);
  const x = secondsOf(window);
  const figures = x.map((second) => {
    const bucket = bySecond.get(second);
    return bucket === undefined ? undefined : latencyFigures(bucket);
  });
  return [x, figures.map((figure) => figure?.p50 ?? null), figures.map((figure) => figure?.p99 ?? null)];
}

/**
 * Membership agreement: how many observers answered, and how many subjects they disagree on,
 * one point per read (about one a second), in the window.
 */
export function agreementSeries(samples: readonly AgreementSample[], window: TimeWindow): SeriesData {
  const x: number[] = [];
  const observers: number[] = [];
  const disagreeing: number[] = [];
  for (const sample of samples) {
    const second = sample.at / 1000;
    if (second < window.fromSecond || second > window.toSecond + 1) continue;
    x.push(second);
    observers.push(sample.observers);
    disagreeing.push(sample.disagreeing);
  }
  return [x, observers, disagreeing];
}

/** A period with faults, in s since the epoch; `end` undefined: still going on. */
export interface FaultBand {
  readonly start: number;
  readonly end: number | undefined;
  readonly description: string;
}

/**
 * The periods with faults that overlap the window: a period starts when a plan other than
 * "no faults" is set and ends when "no faults" is (heal). A change of one faulty plan to
 * another continues the period (the description is the latest plan's).
 */
export function faultBands(changes: readonly FaultChange[], window: TimeWindow): FaultBand[] {
  const bands: FaultBand[] = [];
  let start: number | undefined;
  let description = '';
  for (const change of changes) {
    const second = change.at / 1000;
    if (change.active) {
      start ??= second;
      description = change.description;
    } else if (start !== undefined) {
      bands.push({ start, end: second, description });
      start = undefined;
    }
  }
  if (start !== undefined) bands.push({ start, end: undefined, description });
  return bands.filter((band) => band.start <= window.toSecond + 1 && (band.end === undefined || band.end >= window.fromSecond));
}

/** The last value of a series that has one. */
export function lastValue(series: readonly (number | null)[]): number | undefined {
  for (let index = series.length - 1; index >= 0; index--) {
    const value = series[index];
    if (value !== null && value !== undefined) return value;
  }
  return undefined;
}
