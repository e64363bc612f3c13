/**
 * The classroom key-value timeline (the original `testcases/{create,delete,read,update}.conf`),
 * run in the simulator: ten peers join as in the membership scenarios (gossip, the classroom's
 * protocol), and at tick 100 one hundred random keys are created, each through a random live
 * coordinator. Then, by test:
 * - delete, tick 150: delete keys #2..#51 (sorted), then the invalid key;
 * - read, on the smallest key K: read at 150; at 175 crash K's TERTIARY and read; at 225 crash
 *   two more of K's replicas (walking down from TERTIARY, skipping crashed ones) and read; read
 *   at 275 (stabilization must have restored three replicas); at 285 crash the first live peer, in
 *   index order, that is not a replica of K, read K, and read the invalid key;
 * - update: the same schedule on the second-smallest key, writing `newValue`.
 * The harness writes the template's own lines where its Application does: `APP` and `APP MP2` per
 * peer before tick 0, each operation under its coordinator's address before issuing it, each crash
 * as `Node failed at time=T` under the crashed peer, and `@@time=500` when peer 1 is alive (see
 * `classroom-application.ts`), so the debug log is the template's whole file and grades with the
 * original rules.
 */
import type { JournalEvent } from '../../journal/events.ts';
import { formatDbgLog } from '../../journal/dbg-log.ts';
import { assert, type PeerId } from '../../machine.ts';
import { CLASSROOM_KV } from '../../kv/config.ts';
import type { KvOperation } from '../../protocol/kv.ts';
import { KvCluster } from '../kv-cluster.ts';
import { applicationStartLines, failedLine, runWithTimeStamps } from './classroom-application.ts';
import { CLASSROOM } from './classroom-membership.ts';

export const KV_TESTS = ['create', 'delete', 'read', 'update'] as const;
export type KvTest = (typeof KV_TESTS)[number];

/** The constants of the original MP2 `Application.h`. */
export const CLASSROOM_KV_TIMELINE = {
  insertTick: 100,
  testTick: 150,
  firstFailTicks: 25,
  stabilizeTicks: 50,
  lastFailTicks: 10,
  keys: 100,
  keyLength: 5,
  invalidKey: 'invalidKey',
  invalidValue: 'invalidValue',
  newValue: 'newValue',
} as const;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export interface ClassroomKvOptions {
  readonly test: KvTest;
  readonly seed: number;
}

export interface ClassroomKvRun {
  readonly events: readonly JournalEvent[];
  readonly dbgLog: string;
  readonly replay: string;
}

export function runClassroomKv(options: ClassroomKvOptions): ClassroomKvRun {
  const events: JournalEvent[] = [];
  const cluster = new KvCluster({
    protocol: 'gossip',
    peers: CLASSROOM.peers,
    seed: options.seed,
    kv: CLASSROOM_KV,
    network: { messageBytesMax: CLASSROOM.messageBytesMax, inFlightMax: CLASSROOM.inFlightMax },
    onEvent: (event) => events.push(event),
  });
  const { sim, ids } = cluster;
  const random = sim.random.derive('scenario');
  const timeline = CLASSROOM_KV_TIMELINE;
  let nextTransaction = 1;

  for (const line of applicationStartLines(ids, 'mp2')) sim.emit(line);
  ids.forEach((id, index) => sim.at(Math.floor(CLASSROOM.stepRate * index), () => cluster.start(id)));

  const live = (): PeerId[] => ids.filter((id) => sim.status(id) === 'running');
  const randomLive = (): PeerId => {
    const candidates = live();
    return candidates[random.index(candidates.length)] as PeerId;
  };
  /** The key's replicas as a live peer's ring has them now. */
  const replicasOf = (key: string): PeerId[] => {
    const observer = cluster.machine(live()[0] as PeerId);
    assert(observer !== undefined, 'someone is alive');
    return observer.ring.preferenceList(key);
  };
  const operate = (op: KvOperation, key: string, value: string | undefined, shownValue = value): void => {
    const coordinator = randomLive();
    const shown = shownValue === undefined ? '' : ` VALUE: ${shownValue}`;
    sim.emit({ kind: 'log', tick: sim.now, peer: coordinator, text: `${op.toUpperCase()} OPERATION KEY: ${key}${shown} at time: ${sim.now}` });
    cluster.client(coordinator, { transaction: nextTransaction++, op, key, ...(value === undefined ? {} : { value }) });
  };
  /** The harness logs a failure under the failed peer, then fails it. */
  const fail = (id: PeerId): void => {
    sim.emit(failedLine(id, sim.now));
    cluster.crash(id);
  };

  // The keys: random, distinct, five characters of 0-9A-Za-z, with values value0..value99.
  const pairs = new Map<string, string>();
  while (pairs.size < timeline.keys) {
    let key = '';
    for (let index = 0; index < timeline.keyLength; index++) key += ALPHABET[random.index(ALPHABET.length)];
    if (!pairs.has(key)) pairs.set(key, `value${pairs.size}`);
  }
  const sortedKeys = [...pairs.keys()].sort();

  sim.at(timeline.insertTick, () => {
    for (const [key, value] of pairs) operate('create', key, value);
  });

  const { testTick } = timeline;
  const failTick = testTick + timeline.firstFailTicks;
  const secondFailTick = failTick + timeline.stabilizeTicks;
  const stabilizedTick = secondFailTick + timeline.stabilizeTicks;
  const lastTick = stabilizedTick + timeline.lastFailTicks;

  if (options.test === 'delete') {
    sim.at(testTick, () => {
      for (const key of sortedKeys.slice(1, 51)) operate('delete', key, undefined);
      operate('delete', timeline.invalidKey, undefined);
    });
  }

  if (options.test === 'read' || options.test === 'update') {
    const key = sortedKeys[options.test === 'read' ? 0 : 1] as string;
    const original = pairs.get(key) as string;
    const act = (): void =>
      options.test === 'read' ? operate('read', key, undefined, original) : operate('update', key, timeline.newValue);
    sim.at(testTick, act);
    sim.at(failTick, () => {
      const tertiary = replicasOf(key)[2];
      if (tertiary !== undefined && sim.status(tertiary) === 'running') fail(tertiary);
      act();
    });
    sim.at(secondFailTick, () => {
      let crashes = 0;
      for (const replica of replicasOf(key).reverse()) {
        if (crashes === 2) break;
        if (sim.status(replica) !== 'running') continue;
        fail(replica);
        crashes++;
      }
      act();
    });
    sim.at(stabilizedTick, act);
    sim.at(lastTick, () => {
      // As the template: the first live peer, in index order, that is none of K's replicas.
      const replicas = replicasOf(key);
      const bystander = live().find((id) => !replicas.includes(id));
      if (bystander !== undefined) fail(bystander);
      act();
      if (options.test === 'read') operate('read', timeline.invalidKey, undefined);
      else operate('update', timeline.invalidKey, timeline.invalidValue);
    });
  }

  runWithTimeStamps(cluster, CLASSROOM.ticks);
  return { events, dbgLog: formatDbgLog(events, { firstEntryWithoutAddress: true }), replay: `ringside grade kv --test ${options.test} --seed ${options.seed}` };
}
