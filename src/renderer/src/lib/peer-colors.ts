/**
 * One colour per peer, by its number (#1, #2, …), the same on every view: the ring's ticks, the
 * share bars, the replica chips. Twelve hues far enough apart on a dark background; past twelve
 * peers they repeat, and the number beside every mark tells them apart.
 */
const PALETTE = ['#5fb3ff', '#f0883e', '#3fb950', '#d2a8ff', '#f85149', '#e3b341', '#39c5cf', '#ff7b72', '#a5d6ff', '#7ee787', '#db61a2', '#c9d1d9'] as const;

export function peerColor(number: number | undefined): string {
  if (number === undefined || number < 1) return '#8b95a3';
  return PALETTE[(number - 1) % PALETTE.length] as string;
}
