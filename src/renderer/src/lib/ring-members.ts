/**
 * The ring the window draws, built as the peers build theirs: from the members a peer counts
 * alive or suspect (see `kv/peer.ts`, `#rebuildRing`). Peers may disagree for a moment; the
 * window takes the members a majority of the running observers count, and says how many
 * observers hold exactly that set.
 */
import type { MemberViewWire } from '../../../shared/protocol/control.ts';

export interface RingMembership {
  /** Sorted peer ids. */
  readonly members: readonly string[];
  /** Running peers whose views were read. */
  readonly observers: number;
  /** Observers whose own ring has exactly these members. */
  readonly agreeing: number;
}

const inRing = (member: MemberViewWire): boolean => member.state === 'alive' || member.state === 'suspect';

export function ringMembership(views: Readonly<Record<string, readonly MemberViewWire[]>>, running: readonly string[]): RingMembership {
  const observers = Object.entries(views).filter(([observer]) => running.includes(observer));
  if (observers.length === 0) return { members: [...running].sort(), observers: 0, agreeing: 0 };
  const votes = new Map<string, number>();
  const sets = observers.map(([, members]) => {
    const ids = members.filter(inRing).map((member) => member.id).sort();
    for (const id of ids) votes.set(id, (votes.get(id) ?? 0) + 1);
    return ids.join(',');
  });
  const members = [...votes].filter(([, count]) => count * 2 > observers.length).map(([id]) => id).sort();
  const text = members.join(',');
  return { members, observers: observers.length, agreeing: sets.filter((set) => set === text).length };
}
