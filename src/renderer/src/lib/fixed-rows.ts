/**
 * Virtual scrolling for rows of one fixed height: which rows a viewport shows is arithmetic, so
 * it costs the same at a million rows as at ten.
 *
 * Why not @tanstack/vue-virtual here: it keeps a measurement per row and recomputes them all
 * whenever the row count changes (about 14 ms at a million rows on this machine), which a log
 * growing every frame would pay every frame. Its variable row heights are not needed: a log
 * line is one line.
 *
 * A million rows of 20 px is 20,000,000 px of scroll height, within Chromium's layout limit
 * (2^31 / 64 ≈ 33,500,000 px); `rowsMaxFor` says how many rows a row height allows.
 */

/** The tallest element Chromium lays out, px, with a margin. */
export const SCROLL_HEIGHT_MAX_PX = 32_000_000;

export function rowsMaxFor(rowPx: number): number {
  return Math.floor(SCROLL_HEIGHT_MAX_PX / rowPx);
}

export interface RowRange {
  /** The first row to render and the one after the last. */
  readonly first: number;
  readonly end: number;
  /** Where the first rendered row starts, px from the top of the list. */
  readonly offsetPx: number;
  /** The list's whole height, px. */
  readonly totalPx: number;
}

/** The rows that `viewportPx` of list shows when scrolled to `scrollTop`, plus `overscan` each side. */
export function visibleRows(scrollTop: number, viewportPx: number, rowPx: number, count: number, overscan = 8): RowRange {
  const totalPx = count * rowPx;
  const top = Math.max(0, Math.min(scrollTop, totalPx - viewportPx));
  const first = Math.max(0, Math.floor(top / rowPx) - overscan);
  const end = Math.min(count, Math.ceil((top + viewportPx) / rowPx) + overscan);
  return { first, end: Math.max(first, end), offsetPx: first * rowPx, totalPx };
}

/** The scrollTop that shows the last row at the bottom. */
export function bottomScrollTop(viewportPx: number, rowPx: number, count: number): number {
  return Math.max(0, count * rowPx - viewportPx);
}

/** True when the viewport shows the last row (within `slackPx`). */
export function atBottom(scrollTop: number, viewportPx: number, rowPx: number, count: number, slackPx = rowPx): boolean {
  return scrollTop >= bottomScrollTop(viewportPx, rowPx, count) - slackPx;
}
