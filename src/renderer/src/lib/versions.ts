/**
 * How the window writes a record's version: a hybrid logical clock stamp (tick, counter,
 * writer). Real peers count ticks from the Unix epoch (`Date.now() / tickMs`), so a tick is also
 * a wall-clock time, which reads better than eleven digits: `14:49:53.200·0 by #4`.
 */
import { compareVersions, type Version } from '../../../shared/protocol/kv.ts';
import { clockTime } from './format.ts';

/** Ticks this large are wall-clock ticks (after 2001 at 1 s ticks), not a simulator's count. */
const EPOCH_MS_MIN = 1e12;

function tickText(tick: number, tickMs: number | undefined): string {
  if (tickMs !== undefined && tick * tickMs >= EPOCH_MS_MIN) return clockTime(tick * tickMs);
  return `t${tick}`;
}

/** `14:49:53.200·0`: the stamp without its writer. */
export function versionStamp(version: Version, tickMs?: number): string {
  return `${tickText(version.tick, tickMs)}·${version.counter}`;
}

/** `14:49:53.200·0 by #4` (`t1234·0 by #4` for simulator ticks): time (or tick), counter, writer. */
export function formatVersion(version: Version, label: (peer: string) => string = (peer) => peer, tickMs?: number): string {
  return `${versionStamp(version, tickMs)} by ${label(version.peer)}`;
}

/** The whole stamp, for a tooltip. */
export function describeVersion(version: Version, tickMs?: number): string {
  const time = tickMs !== undefined && version.tick * tickMs >= EPOCH_MS_MIN ? ` (${clockTime(version.tick * tickMs)})` : '';
  return `tick ${version.tick}${time}, counter ${version.counter}, written by ${version.peer}`;
}

/** A version as a text that two equal versions share (a map key). */
export function versionId(version: Version): string {
  return `${version.tick}.${version.counter}.${version.peer}`;
}

export function newestVersion(versions: Iterable<Version>): Version | undefined {
  let newest: Version | undefined;
  for (const version of versions) if (newest === undefined || compareVersions(version, newest) > 0) newest = version;
  return newest;
}
