/**
 * Fault plans as the Faults view edits them: peers in groups (every group cut off from every
 * other), presets, one link's override, and the plan in words with the window's peer labels.
 * Pure functions of a plan; the faults store sends what they build.
 */
import { describeDelayMs, describeFaultPlan, isPartitioned, type DelayMs, type FaultPlan, type LinkFaultsMs, type Partition } from '../../../shared/protocol/faults.ts';

/** Peer ids in groups, in order; a peer in no group is in the first. */
export type Groups = readonly (readonly string[])[];

/** The partitions that cut every group off from every other (or, one-way, from the later ones). */
export function partitionsFromGroups(groups: Groups, oneWay: boolean): Partition[] {
  const filled = groups.filter((group) => group.length > 0);
  const partitions: Partition[] = [];
  for (let source = 0; source < filled.length; source++) {
    for (let target = source + 1; target < filled.length; target++) {
      partitions.push({ sources: [...(filled[source] as string[])], targets: [...(filled[target] as string[])], oneWay });
    }
  }
  return partitions;
}

/** Whether two plans cut the same directed links between these peers. */
export function sameCuts(left: FaultPlan, right: FaultPlan, peers: readonly string[]): boolean {
  for (const from of peers) {
    for (const to of peers) {
      if (from !== to && isPartitioned(left, from, to) !== isPartitioned(right, from, to)) return false;
    }
  }
  return true;
}

export interface PlanGroups {
  readonly groups: string[][];
  readonly oneWay: boolean;
  /** The groups make exactly the plan's cuts (false: partitions this editor cannot draw). */
  readonly exact: boolean;
}

/**
 * The groups a plan's partitions make among `peers` (in their order): peers with no cut either
 * way between them share a group.
 */
export function groupsFromPlan(plan: FaultPlan, peers: readonly string[]): PlanGroups {
  const groups: string[][] = [];
  const connected = (a: string, b: string) => !isPartitioned(plan, a, b) && !isPartitioned(plan, b, a);
  for (const peer of peers) {
    const home = groups.find((group) => connected(group[0] as string, peer));
    if (home === undefined) groups.push([peer]);
    else home.push(peer);
  }
  if (groups.length === 0) groups.push([]);
  const oneWay = plan.partitions.length > 0 && plan.partitions.every((partition) => partition.oneWay);
  if (oneWay) {
    // Sources before targets, so that rebuilding cuts the same direction.
    groups.sort((a, b) => (isPartitioned(plan, a[0] as string, b[0] as string) ? -1 : isPartitioned(plan, b[0] as string, a[0] as string) ? 1 : 0));
  }
  const rebuilt: FaultPlan = { ...plan, partitions: partitionsFromGroups(groups, oneWay) };
  return { groups, oneWay, exact: sameCuts(plan, rebuilt, peers) };
}

/** Moves `peer` into group `index` (a new group when `index` is past the last); empty groups go. */
export function movePeer(groups: Groups, peer: string, index: number): string[][] {
  const next = groups.map((group) => group.filter((member) => member !== peer));
  while (next.length <= index) next.push([]);
  (next[index] as string[]).push(peer);
  const filled = next.filter((group) => group.length > 0);
  return filled.length === 0 ? [[]] : filled;
}

/** Every peer in exactly one group: missing peers join the first group, unknown ones go. */
export function normalizeGroups(groups: Groups, peers: readonly string[]): string[][] {
  const known = new Set(peers);
  const placed = new Set<string>();
  const next = groups.map((group) =>
    group.filter((peer) => {
      if (!known.has(peer) || placed.has(peer)) return false;
      placed.add(peer);
      return true;
    }),
  );
  if (next.length === 0) next.push([]);
  for (const peer of peers) if (!placed.has(peer)) (next[0] as string[]).push(peer);
  const filled = next.filter((group) => group.length > 0);
  return filled.length === 0 ? [[]] : filled;
}

/** Preset: `victim` alone, every other peer together. */
export function isolateGroups(peers: readonly string[], victim: string): string[][] {
  return [peers.filter((peer) => peer !== victim), [victim]];
}

/**
 * Preset: the first ⌊(N−1)/2⌋ peers (a minority, which cannot make a quorum) against the rest
 * (a majority): with 5 peers, {1,2} | {3,4,5}.
 */
export function majorityMinorityGroups(peers: readonly string[]): string[][] {
  const minority = Math.max(1, Math.floor((peers.length - 1) / 2));
  return [peers.slice(0, minority), peers.slice(minority)];
}

/** The override of the link `from → to`, if the plan has one. */
export function linkOf(plan: FaultPlan, from: string, to: string): LinkFaultsMs | undefined {
  return plan.links.find((link) => link.from === from && link.to === to);
}

export interface LinkOverride {
  readonly loss?: number | undefined;
  readonly delay?: DelayMs | undefined;
  readonly duplicate?: number | undefined;
}

/**
 * The plan with the link `from → to` overridden (or its override removed when `override` has no
 * field): the link's loss, delay and duplicate replace the global ones on that link.
 */
export function withLink(plan: FaultPlan, from: string, to: string, override: LinkOverride | undefined): FaultPlan {
  const links = plan.links.filter((link) => !(link.from === from && link.to === to));
  const link: LinkFaultsMs = { from, to };
  // A link's value replaces the global one, so 0 is an override too (a clean link on a lossy net).
  if (override?.loss !== undefined) link.loss = override.loss;
  if (override?.delay !== undefined) link.delay = override.delay;
  if (override?.duplicate !== undefined) link.duplicate = override.duplicate;
  if (link.loss !== undefined || link.delay !== undefined || link.duplicate !== undefined) links.push(link);
  return { ...plan, links };
}

/** A short cell text for a link's faults: `10%`, `50ms`, `10% 50ms` (the plan's own for no link). */
export function linkBadge(link: Omit<LinkFaultsMs, 'from' | 'to'> | undefined): string {
  if (link === undefined) return '';
  const parts: string[] = [];
  if (link.loss !== undefined) parts.push(`${Math.round(link.loss * 100)}%`);
  if (link.delay !== undefined) parts.push(link.delay.kind === 'constant' ? `${link.delay.ms}ms` : link.delay.kind === 'uniform' ? `≤${link.delay.maxMs}ms` : `~${link.delay.meanMs}ms`);
  if (link.duplicate !== undefined) parts.push(`×${Math.round(link.duplicate * 100)}%`);
  return parts.join(' ');
}

const percent = (probability: number) => `${Math.round(probability * 1000) / 10}%`;

/** `text` with each peer address it names replaced by the window's label for it (`#3`). */
export function replaceIds(text: string, labels: ReadonlyMap<string, string>): string {
  const ids = [...labels.keys()].sort((a, b) => b.length - a.length);
  if (ids.length === 0) return text;
  const escaped = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\w.:])(${escaped.join('|')})(?![\\w.]|:\\d)`, 'g');
  return text.replace(pattern, (id) => labels.get(id) ?? id);
}

/** `describeFaultPlan` with the window's short labels (`#3`) for the peers it knows. */
export function describePlanShort(plan: FaultPlan, labels: ReadonlyMap<string, string>): string {
  const text = replaceIds(describeFaultPlan(plan), labels);
  return text.replace(/\b(loss|duplicate) (\d+(?:\.\d+)?)/g, (_match, what: string, probability: string) => `${what} ${percent(Number(probability))}`);
}

/** The plan in sentences, one per fault, with the window's labels. */
export function planSentences(plan: FaultPlan, labels: ReadonlyMap<string, string>): string[] {
  const label = (id: string) => labels.get(id) ?? id;
  const sentences: string[] = [];
  if (plan.loss > 0) sentences.push(`Every link drops ${percent(plan.loss)} of the messages sent on it.`);
  if (plan.delay !== undefined) sentences.push(`Every message is delayed ${describeDelayMs(plan.delay)}.`);
  if (plan.duplicate > 0) sentences.push(`Every link delivers ${percent(plan.duplicate)} of its messages twice.`);
  for (const partition of plan.partitions) {
    const sources = partition.sources.map(label).join(' ');
    const targets = partition.targets.map(label).join(' ');
    sentences.push(partition.oneWay ? `Partition: messages from {${sources}} to {${targets}} are dropped (one-way: replies still get through).` : `Partition: {${sources}} and {${targets}} cannot reach each other.`);
  }
  for (const link of plan.links) {
    const faults: string[] = [];
    if (link.loss !== undefined) faults.push(`drops ${percent(link.loss)}`);
    if (link.delay !== undefined) faults.push(`delays ${describeDelayMs(link.delay)}`);
    if (link.duplicate !== undefined) faults.push(`duplicates ${percent(link.duplicate)}`);
    sentences.push(`Link ${label(link.from)} → ${label(link.to)} ${faults.join(', ')}.`);
  }
  return sentences;
}

export function isNoFaults(plan: FaultPlan): boolean {
  return plan.loss === 0 && plan.duplicate === 0 && plan.delay === undefined && plan.links.length === 0 && plan.partitions.length === 0;
}
