/**
 * A ring transition in progress, in numbers and words: the ring after it (the joiners added, the
 * leavers dropped: every pending change runs in one transition), the key ranges whose owners change, how much of the ring they cover, who
 * gives them up and who takes them (the gainers, which pull the keys from the old owners).
 *
 * A key range is the stretch of positions between two consecutive tokens of the two rings
 * together: every key in it has the same preference list on each ring.
 */
import type { RingStateInfo } from '../../../shared/api/bridge.ts';
import type { HashCache } from '../../../shared/ring/hash.ts';
import type { Ring } from '../../../shared/ring/ring.ts';
import { ownersRing } from '../../../shared/kv/ring-state.ts';
import { KV_DEFAULTS } from '../../../shared/kv/config.ts';

export type TransitionInfo = NonNullable<RingStateInfo['transition']>;

export interface TransitionSummary {
  readonly joining: readonly string[];
  readonly leaving: readonly string[];
  /** Peers that own, after the transition, ranges they do not own before it (they pull them). */
  readonly gainers: readonly string[];
  /** Ranges whose preference list changes. */
  readonly ranges: number;
  /** The fraction of the ring's positions those ranges cover, in [0, 1]. */
  readonly share: number;
  /** Peers that own some of those ranges before and not after, sorted. */
  readonly givers: readonly string[];
  readonly after: Ring;
}

/** The ring `transition` leads to from `before` (the ring keys belong to now). */
export function ringAfter(before: Ring, transition: TransitionInfo, hashes?: HashCache): Ring {
  const peers = [...before.peers.filter((peer) => !transition.leaving.includes(peer)), ...transition.joining];
  return ownersRing(KV_DEFAULTS.ring, peers, hashes);
}

export function summarizeTransition(before: Ring, transition: TransitionInfo, hashes?: HashCache): TransitionSummary {
  const after = ringAfter(before, transition, hashes);
  const positions = [...new Set([...before.tokens, ...after.tokens].map((token) => token.position))].sort((a, b) => a - b);
  const givers = new Set<string>();
  let ranges = 0;
  let covered = 0;
  if (before.placesKeys && after.placesKeys) {
    for (let index = 0; index < positions.length; index++) {
      // The range ends at this token and starts just after the one before it (round the top for the first).
      const end = positions[index] as number;
      const previous = positions[index === 0 ? positions.length - 1 : index - 1] as number;
      const length = positions.length === 1 ? before.config.positions : (end - previous + before.config.positions) % before.config.positions;
      const owners = before.preferenceListAt(end);
      const next = after.preferenceListAt(end);
      if (owners.length === next.length && owners.every((peer) => next.includes(peer))) continue;
      ranges++;
      covered += length;
      for (const peer of owners) if (!next.includes(peer)) givers.add(peer);
    }
  }
  return {
    joining: [...transition.joining],
    leaving: [...transition.leaving],
    gainers: [...transition.gainers].sort(),
    ranges,
    share: covered / before.config.positions,
    givers: [...givers].sort(),
    after,
  };
}

/** "A, B and C". */
function listed(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? 'no peer';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] as string}`;
}

/**
 * `127.0.0.1:7006 (#6) joining: it takes over 182 ranges (18% of the ring) from #1, #3 and #4`;
 * a leave says where its ranges go, a removal (the peer is down) says so too; several changes at
 * once are listed together.
 */
export function describeTransition(summary: TransitionSummary, label: (peer: string) => string, isDown: (peer: string) => boolean): string {
  const name = (peer: string): string => (label(peer) === peer ? peer : `${peer} (${label(peer)})`);
  const ranges = `${summary.ranges.toLocaleString('en-US')} range${summary.ranges === 1 ? '' : 's'} (${Math.round(summary.share * 100)}% of the ring)`;
  const changing = [...summary.joining, ...summary.leaving];
  const others = summary.gainers.filter((peer) => !changing.includes(peer)).map(label);
  if (summary.leaving.length === 0 && summary.joining.length === 1) return `${name(summary.joining[0] as string)} joining: it takes over ${ranges} from ${listed(summary.givers.map(label))}`;
  if (summary.joining.length === 0 && summary.leaving.length === 1) {
    const peer = summary.leaving[0] as string;
    return isDown(peer)
      ? `${name(peer)} being removed from the ring (it is down): its ${ranges} go to ${listed(others)}, which pull the keys from the other owners`
      : `${name(peer)} leaving: its ${ranges} go to ${listed(others)}`;
  }
  const parts = [
    ...summary.joining.map((peer) => `${name(peer)} joining`),
    ...summary.leaving.map((peer) => `${name(peer)} ${isDown(peer) ? 'being removed (down)' : 'leaving'}`),
  ];
  return `${listed(parts)}, in one transition: ${ranges} change owners, taken over by ${listed(summary.gainers.map(label))}`;
}
