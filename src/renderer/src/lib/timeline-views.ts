/**
 * What the views show of a past moment, from the timeline's world (`shared/journal/timeline.ts`):
 * the peers as the Cluster view lists them, and the state it shows for each, by the same rule as
 * the live view (`stores/membership.ts`): a running peer is `suspect` or `failed` when some other
 * running peer holds it so, else `alive`; a peer whose process is gone shows how it went.
 */
import type { PeerSummaryWire } from '../../../shared/api/cluster-api.ts';
import type { RingStateInfo } from '../../../shared/api/bridge.ts';
import type { BeliefState, Timeline, TimelinePeer, World } from '../../../shared/journal/timeline.ts';
import { shownValue } from '../../../shared/journal/events.ts';
import type { Operation } from '../stores/keys.ts';
import type { PeerDisplayState } from '../stores/membership.ts';

const RANK: Readonly<Record<BeliefState, number>> = { alive: 0, suspect: 1, left: 2, dead: 3 };

function portOf(id: string): number {
  const port = Number(/:(\d+)$/.exec(id)?.[1]);
  return Number.isInteger(port) ? port : 0;
}

/** The world's peers as peer summaries, by number, with the process and ports their start journaled. */
export function peersAt(world: World): PeerSummaryWire[] {
  return [...world.peers.values()]
    .sort((a, b) => a.number - b.number)
    .map((peer: TimelinePeer) => ({
      id: peer.id,
      number: peer.number,
      state: peer.state,
      // Its process was the manager's (an attached peer's life is not journaled as a start).
      managed: true,
      ...(peer.pid === undefined ? {} : { pid: peer.pid }),
      port: portOf(peer.id),
      redisPort: peer.redisPort ?? 0,
      startedAt: peer.startedAt ?? world.at ?? 0,
      ...(peer.identity === undefined ? {} : { identity: peer.identity }),
    }));
}

/** The worst state the running observers other than `subject` hold of it at that moment. */
export function believedStateAt(world: World, subject: string): BeliefState | undefined {
  let worst: BeliefState | undefined;
  for (const [observer, subjects] of world.beliefs) {
    if (observer === subject) continue;
    const peer = world.peers.get(observer);
    if (peer !== undefined && peer.state !== 'running' && peer.state !== 'paused') continue;
    const state = subjects.get(subject)?.state;
    if (state !== undefined && (worst === undefined || RANK[state] > RANK[worst])) worst = state;
  }
  return worst;
}

export function displayStateAt(world: World, id: string): PeerDisplayState | undefined {
  const peer = world.peers.get(id);
  if (peer === undefined) return undefined;
  if (peer.state !== 'running') return peer.state;
  const believed = believedStateAt(world, id);
  if (believed === 'suspect') return 'suspect';
  if (believed === 'dead') return 'failed';
  return 'alive';
}

/**
 * Each running (or paused) peer's ring state at that moment, as the ring view reads the peers'
 * own (`ring.states`): from the journal's `ring.changed` events, with the quorum mode and storage
 * its cluster started with. A peer whose journal never said its state has none (unknown).
 */
export function ringStatesAt(world: World): Record<string, RingStateInfo> {
  const states: Record<string, RingStateInfo> = {};
  for (const [peer, ring] of world.rings) {
    const state = world.peers.get(peer)?.state;
    if (state !== 'running' && state !== 'paused' && state !== 'leaving') continue;
    states[peer] = {
      entries: ring.entries.map((entry) => ({ ...entry })),
      ...(ring.transition === undefined ? {} : { transition: { joining: [...ring.transition.joining], leaving: [...ring.transition.leaving], gainers: [...ring.transition.gainers] } }),
      fingerprint: ring.fingerprint,
      quorum: world.epoch.quorum ?? 'strict',
      storage: world.epoch.storage ?? 'disk',
    };
  }
  return states;
}

/** Entries `resultsAt` reads back at most, looking for results. */
const RESULTS_SCAN_MAX = 500_000;

/**
 * The key-value operations decided up to `position`, newest first (at most `limit`), as the Keys
 * view lists them: every coordinator's `kv.result` in the journal (not only this window's), with
 * the roles each replica was asked in. The window's round trip is not in the journal: NaN.
 */
export function resultsAt(timeline: Timeline, position: number, limit = 200): Operation[] {
  const operations: Operation[] = [];
  const stop = Math.max(timeline.firstPosition + 1, position - RESULTS_SCAN_MAX);
  for (let at = position; at >= stop && operations.length < limit; at--) {
    const entry = timeline.entryAt(at);
    const event = entry?.event;
    if (entry === undefined || event === undefined || event.kind !== 'kv.result') continue;
    const value = event.preview === undefined && event.value === undefined ? undefined : shownValue(event);
    const read = event.op === 'read';
    operations.push({
      id: entry.seq,
      at: entry.at,
      op: event.op,
      key: event.key,
      value: read ? undefined : value,
      via: event.peer,
      result: {
        type: 'kv.result',
        transaction: event.transaction,
        op: event.op,
        key: event.key,
        ok: event.ok,
        ...(read && event.ok && value !== undefined ? { value } : {}),
        ...(event.version === undefined ? {} : { version: event.version }),
        ...(event.reason === undefined ? {} : { reason: event.reason }),
        latencyTicks: event.latencyTicks,
        replicas: event.replicas,
      },
      error: undefined,
      latencyMs: Number.NaN,
      coordinator: event.peer,
      coordinatorLatencyMs: event.latencyMs,
    });
  }
  return operations;
}
