/**
 * What the charts draw, assembled from the metrics store's per-second buckets and the
 * membership store's agreement samples: plain arrays in uPlot's layout (`[x, ...series]`, x in
 * seconds since the epoch), one point per second over a fixed window so the charts scroll at
 * the same pace whether or not events come. Seconds without a bucket count as zero.
 *
 * Each figure is defined once, in `FIGURES`: its title, the unit on its axis and a one-line
 * definition the chart shows on hover. Which figures a cluster gets depends on its kind
 * (`figuresFor`): a circular DHT has no key-value operations and no membership lists.
 */
import type { ClusterKind } from '../../../shared/api/cluster-api.ts';
import type { AgreementSample } from '../stores/membership.ts';
import type { FaultChange, SecondBucket } from '../stores/metrics.ts';
import { percentile } from './format.ts';

/** A line on a chart: its name in the legend, its colour, dashes for a secondary one. */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly dash?: number[];
}

export type FigureName = 'messages' | 'operations' | 'coordinatorLatency' | 'roundTrip' | 'convergence' | 'lookups' | 'hops';

export interface FigureDefinition {
  readonly title: string;
  /** The unit on the y axis, in words. */
  readonly axis: string;
  /** After each value in the legend: `/s`, `ms`, or nothing. */
  readonly unit: string;
  /** What the figure is, in one line: the chart's title on hover. */
  readonly definition: string;
}

/**
 * The charts' figures. The two latencies are different measures and never share a chart or a
 * series: the coordinator's own (from taking an operation to deciding it, on its clock) and the
 * window's round trip through the cluster API (what a client feels: the coordinator's time plus
 * the API, the transport and the peer's control channel).
 */
export const FIGURES: Readonly<Record<FigureName, FigureDefinition>> = {
  messages: {
    title: 'Messages sent per second, by type',
    axis: 'messages / s',
    unit: '/s',
    definition: "Messages the peers sent in each second (message.sent entries), by type; 'dropped': messages a fault or a full buffer dropped (message.dropped).",
  },
  operations: {
    title: 'Operations decided per second',
    axis: 'operations / s',
    unit: '/s',
    definition: "Key-value operations their coordinator decided in each second (kv.result entries), from any client: succeeded, or failed (no quorum, refused, timed out).",
  },
  coordinatorLatency: {
    title: "Coordinator latency (the coordinator's own measure)",
    axis: 'ms',
    unit: 'ms',
    definition: "Per second, the median (p50) and p99 of the time each coordinator measured on its own clock from taking an operation to deciding it (kv.result's latencyMs), in ms: no window, no API.",
  },
  roundTrip: {
    title: "Round trip through the API (this window's operations)",
    axis: 'ms',
    unit: 'ms',
    definition: "Per second, the median (p50) and p99 of the time this window waited from asking the cluster API to run an operation (the Keys view, a bulk load) to its answer, in ms: the coordinator's time plus the API's.",
  },
  convergence: {
    title: 'Membership convergence',
    axis: 'peers · subjects',
    unit: '',
    definition: "At each read of the peers' membership views (about once a second): how many observers answered, and on how many subjects their views disagree.",
  },
  lookups: {
    title: 'DHT lookups per second',
    axis: 'lookups / s',
    unit: '/s',
    definition: "Store and Request lookups that reached the file's owner in each second (its 'request accepted' or 'is stored here' line), and lookups dropped after too many hops.",
  },
  hops: {
    title: 'Hops per lookup',
    axis: 'hops',
    unit: '',
    definition: "Per second, the median (p50) and the most hops taken by the lookups that reached their owner that second (the peers passed after the one typed at).",
  },
};

/** The figures that mean something on a cluster of `kind`, in the order shown. */
export function figuresFor(kind: ClusterKind): readonly FigureName[] {
  return kind === 'dht' ? ['messages', 'lookups', 'hops'] : ['messages', 'operations', 'coordinatorLatency', 'roundTrip', 'convergence'];
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

export interface SpreadFigures {
  readonly count: number;
  readonly p50: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
}

// A second's values are sorted once, not once per redraw: an array only grows while its second
// is current, so its length says whether the figures are still valid.
const spreadCache = new WeakMap<readonly number[], SpreadFigures>();

/** The median, p99 and largest of one second's values (`percentile`: the value at ⌊fraction × count⌋ sorted). */
export function spreadFigures(values: readonly number[]): SpreadFigures {
  const cached = spreadCache.get(values);
  if (cached !== undefined && cached.count === values.length) return cached;
  const sorted = values.slice().sort((a, b) => a - b);
  const figures = { count: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] };
  spreadCache.set(values, figures);
  return figures;
}

/** Per second, two of `spreadFigures` of the values `of` picks from its bucket (null in a second without any). */
function spreadSeries(buckets: readonly SecondBucket[], window: TimeWindow, of: (bucket: SecondBucket) => readonly number[], figures: readonly ['p50', 'p99' | 'max']): SeriesData {
  const bySecond = bucketsIn(buckets, window);
  const x = secondsOf(window);
  const spreads = x.map((second) => {
    const bucket = bySecond.get(second);
    const values = bucket === undefined ? [] : of(bucket);
    return values.length === 0 ? undefined : spreadFigures(values);
  });
  return [x, ...figures.map((figure) => spreads.map((spread) => spread?.[figure] ?? null))];
}

/** The coordinators' own latency per second: p50 and p99, ms (only operations measured in ms). */
export function coordinatorLatencySeries(buckets: readonly SecondBucket[], window: TimeWindow): SeriesData {
  return spreadSeries(buckets, window, (bucket) => bucket.coordinatorLatenciesMs, ['p50', 'p99']);
}

/** Operations in the window decided with no latency in ms (a simulated or older peer's): left out of `coordinatorLatencySeries`. */
export function unmeasuredOperations(buckets: readonly SecondBucket[], window: TimeWindow): number {
  let total = 0;
  for (const bucket of bucketsIn(buckets, window).values()) total += bucket.unmeasuredOperations;
  return total;
}

/** This window's round trips through the API per second: p50 and p99, ms. */
export function roundTripSeries(buckets: readonly SecondBucket[], window: TimeWindow): SeriesData {
  return spreadSeries(buckets, window, (bucket) => bucket.roundTripsMs, ['p50', 'p99']);
}

/** DHT lookups per second: Store and Request lookups that reached their owner, and lookups dropped. */
export function lookupSeries(buckets: readonly SecondBucket[], window: TimeWindow): SeriesData {
  const bySecond = bucketsIn(buckets, window);
  const x = secondsOf(window);
  return [x, x.map((second) => bySecond.get(second)?.lookupsStore ?? 0), x.map((second) => bySecond.get(second)?.lookupsRequest ?? 0), x.map((second) => bySecond.get(second)?.lookupsDropped ?? 0)];
}

/** Hops of the lookups that reached their owner, per second: p50 and the most. */
export function hopSeries(buckets: readonly SecondBucket[], window: TimeWindow): SeriesData {
  return spreadSeries(buckets, window, (bucket) => bucket.lookupHops, ['p50', 'max']);
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
