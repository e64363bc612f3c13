/**
 * The geometry of an anomaly's timeline (Jepsen's and Elle's habit: the few operations that show
 * it, per client, on one time axis): one row per client involved, each operation a bar from its
 * invocation to its completion, coloured by outcome and labelled as the command line labels it
 * (W(k,v), R(k)=v, D(k)); the nemesis's fault periods shaded behind, and an axis in seconds.
 *
 * The window spans the operations, widened by `PADDING_FRACTION` of their span (at least
 * `PADDING_MS_MIN`) on each side, so that an instant operation still shows where it sits. A bar is
 * at least `BAR_WIDTH_MIN` wide. Fault periods are clipped to the window; those outside it are
 * not drawn. Pure: the component draws what this returns.
 */
import { describeFault, type FaultPeriod } from '../../../shared/check/nemesis.ts';
import type { RegisterOperation, RegisterOutcome } from '../../../shared/check/register-history.ts';

export const TIMELINE_WIDTH = 900;
/** The gutter for the clients' names. */
export const GUTTER_WIDTH = 112;
export const RIGHT_PADDING = 16;
export const TOP_PADDING = 8;
export const ROW_HEIGHT = 34;
/** A bar's top, from its row's top (its label sits above it). */
export const BAR_OFFSET = 17;
export const BAR_HEIGHT = 12;
export const AXIS_HEIGHT = 26;
export const BAR_WIDTH_MIN = 3;
export const PADDING_FRACTION = 0.1;
export const PADDING_MS_MIN = 20;
/** A label's character width, in SVG units (11 px monospace), to keep labels inside and apart. */
export const LABEL_CHARACTER_WIDTH = 6.7;
/** Space kept between two labels of one row. */
const LABEL_GAP = 6;
/** Characters of a key or value shown in a label. */
const LABEL_PART_LENGTH_MAX = 10;
/** Axis ticks at most. */
const TICKS_MAX = 7;

export interface TimelineRow {
  readonly process: number;
  readonly label: string;
  readonly y: number;
}

export interface TimelineBar {
  readonly id: number;
  readonly process: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly outcome: RegisterOutcome;
  /** The label as drawn (cut with … when the next bar's label would cover it), where and how it is anchored. */
  readonly label: string;
  readonly labelX: number;
  readonly labelAnchor: 'start' | 'end';
  /** The whole operation in words, for the pointer. */
  readonly title: string;
}

export interface TimelineFault {
  readonly x: number;
  readonly width: number;
  readonly y: number;
  readonly height: number;
  /** What broke, and when: shown on hover. */
  readonly text: string;
}

export interface TimelineTick {
  readonly x: number;
  readonly text: string;
}

export interface TimelineLayout {
  readonly width: number;
  readonly height: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly rows: readonly TimelineRow[];
  readonly bars: readonly TimelineBar[];
  readonly faults: readonly TimelineFault[];
  readonly ticks: readonly TimelineTick[];
  /** Where the plot ends and the axis begins. */
  readonly axisY: number;
}

function shorten(text: string): string {
  // Control characters would break the SVG's text: each shows as a middle dot.
  const plain = [...text].map((character) => (character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f ? '·' : character)).join('');
  return plain.length <= LABEL_PART_LENGTH_MAX ? plain : `${plain.slice(0, LABEL_PART_LENGTH_MAX - 1)}…`;
}

/** W(k,v), R(k)=v (nil for none), R(k) when the read did not answer, D(k). */
export function operationLabel(operation: RegisterOperation): string {
  const key = shorten(operation.key);
  if (operation.kind === 'write') return `W(${key},${shorten(operation.value ?? '')})`;
  if (operation.kind === 'delete') return `D(${key})`;
  return operation.outcome === 'ok' ? `R(${key})=${operation.value === undefined ? 'nil' : shorten(operation.value)}` : `R(${key})`;
}

/** Seconds with three decimals: 9200 → "9.200 s". */
const secondsText = (milliseconds: number): string => `${(milliseconds / 1000).toFixed(3)} s`;

const OUTCOME_TEXT: Readonly<Record<RegisterOutcome, string>> = {
  ok: 'ok',
  fail: 'failed (certainly not done)',
  info: 'unknown (may or may not have taken effect)',
};

function operationTitle(operation: RegisterOperation): string {
  const what = operation.kind === 'write' ? `write of ${operation.value ?? ''} to ${operation.key}` : `${operation.kind} of ${operation.key}`;
  const result = operation.kind === 'read' && operation.outcome === 'ok' ? `, returned ${operation.value ?? 'nil'}` : '';
  const error = operation.error === undefined ? '' : ` (${operation.error})`;
  const via = operation.coordinator === undefined ? '' : `, through ${operation.coordinator}`;
  return `#${operation.id} client ${operation.process}'s ${what}, ${secondsText(operation.invokeMs)} to ${secondsText(operation.completeMs)}: ${OUTCOME_TEXT[operation.outcome]}${result}${error}${via}`;
}

const labelStart = (bar: TimelineBar, label = bar.label): number => (bar.labelAnchor === 'start' ? bar.labelX : bar.labelX - label.length * LABEL_CHARACTER_WIDTH);

/** Cuts a label (with …) where the next label of its row begins, so that none covers another. */
function separateLabels(bars: TimelineBar[]): void {
  const byRow = new Map<number, number[]>();
  bars.forEach((bar, index) => {
    const list = byRow.get(bar.process);
    if (list === undefined) byRow.set(bar.process, [index]);
    else list.push(index);
  });
  for (const indexes of byRow.values()) {
    for (let position = 0; position + 1 < indexes.length; position++) {
      const bar = bars[indexes[position] as number] as TimelineBar;
      const next = bars[indexes[position + 1] as number] as TimelineBar;
      const room = labelStart(next) - LABEL_GAP - labelStart(bar);
      const characters = Math.floor(room / LABEL_CHARACTER_WIDTH);
      if (characters >= bar.label.length) continue;
      const label = characters < 2 ? '' : `${bar.label.slice(0, characters - 1)}…`;
      bars[indexes[position] as number] = { ...bar, label, labelX: bar.labelAnchor === 'start' ? bar.labelX : labelStart(bar) + label.length * LABEL_CHARACTER_WIDTH };
    }
  }
}

/** A round step (1, 2 or 5 × 10ⁿ ms) that puts at most `TICKS_MAX` ticks on `spanMs`. */
export function tickStepMs(spanMs: number): number {
  for (let power = -3; power < 12; power++) {
    for (const factor of [1, 2, 5]) {
      const step = factor * 10 ** power;
      if (spanMs / step <= TICKS_MAX - 1) return step;
    }
  }
  return 10 ** 12;
}

export interface TimelineOptions {
  /** Processes at or above this number ran the final reads (after healing). */
  readonly clients?: number;
  /** Simulated runs word pauses and kills as the simulator does them. */
  readonly simulated?: boolean;
}

export function timelineLayout(operations: readonly RegisterOperation[], faults: readonly FaultPeriod[], options: TimelineOptions = {}): TimelineLayout {
  const processes = [...new Set(operations.map((operation) => operation.process))].sort((a, b) => a - b);
  const rows: TimelineRow[] = processes.map((process, index) => ({
    process,
    label: options.clients !== undefined && process >= options.clients ? `client ${process} · final` : `client ${process}`,
    y: TOP_PADDING + index * ROW_HEIGHT,
  }));
  const axisY = TOP_PADDING + rows.length * ROW_HEIGHT;
  const height = axisY + AXIS_HEIGHT;
  if (operations.length === 0) return { width: TIMELINE_WIDTH, height, startMs: 0, endMs: 0, rows, bars: [], faults: [], ticks: [], axisY };

  const firstMs = Math.min(...operations.map((operation) => operation.invokeMs));
  const lastMs = Math.max(...operations.map((operation) => operation.completeMs));
  const padding = Math.max((lastMs - firstMs) * PADDING_FRACTION, PADDING_MS_MIN);
  const startMs = Math.max(0, firstMs - padding);
  const endMs = lastMs + padding;
  const plotWidth = TIMELINE_WIDTH - GUTTER_WIDTH - RIGHT_PADDING;
  const x = (milliseconds: number): number => GUTTER_WIDTH + ((milliseconds - startMs) / (endMs - startMs)) * plotWidth;

  const rowOf = new Map(rows.map((row) => [row.process, row]));
  const bars: TimelineBar[] = [...operations]
    .sort((a, b) => a.invokeMs - b.invokeMs || a.id - b.id)
    .map((operation) => {
      const row = rowOf.get(operation.process) as TimelineRow;
      const left = x(operation.invokeMs);
      const width = Math.max(BAR_WIDTH_MIN, x(operation.completeMs) - left);
      const label = operationLabel(operation);
      // A label starts at its bar; near the right edge it ends at the bar's end instead.
      const fits = left + label.length * LABEL_CHARACTER_WIDTH <= TIMELINE_WIDTH - 2;
      return {
        id: operation.id,
        process: operation.process,
        x: left,
        y: row.y + BAR_OFFSET,
        width,
        height: BAR_HEIGHT,
        outcome: operation.outcome,
        label,
        labelX: fits ? left : Math.min(left + width, TIMELINE_WIDTH - 2),
        labelAnchor: fits ? ('start' as const) : ('end' as const),
        title: operationTitle(operation),
      };
    });
  separateLabels(bars);

  const shaded: TimelineFault[] = [];
  for (const period of faults) {
    if (period.endMs < startMs || period.startMs > endMs) continue;
    const left = x(Math.max(period.startMs, startMs));
    const right = x(Math.min(period.endMs, endMs));
    const what = period.faults.map((fault) => describeFault(fault, options.simulated ?? false)).join('; ');
    shaded.push({ x: left, width: right - left, y: TOP_PADDING, height: axisY - TOP_PADDING, text: `${(period.startMs / 1000).toFixed(1)}-${(period.endMs / 1000).toFixed(1)} s: ${what}` });
  }

  const step = tickStepMs(endMs - startMs);
  const decimals = Math.max(0, Math.min(3, -Math.floor(Math.log10(step / 1000) + 1e-9)));
  const ticks: TimelineTick[] = [];
  const firstTick = Math.ceil(startMs / step);
  for (let index = 0; index < TICKS_MAX && (firstTick + index) * step <= endMs; index++) {
    const at = (firstTick + index) * step;
    ticks.push({ x: x(at), text: `${(at / 1000).toFixed(decimals)} s` });
  }
  return { width: TIMELINE_WIDTH, height, startMs, endMs, rows, bars, faults: shaded, ticks, axisY };
}
