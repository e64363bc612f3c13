/**
 * The classroom membership timeline (`testcases/*.conf` of the original assignment), run in the
 * simulator: 10 peers, 700 ticks; peer index i starts at tick floor(0.25 × i) and joins through
 * peer 1, the introducer; at tick 100 one peer (single failure, message drop) or five consecutive
 * peers from a random index 0..4 (multi failure) crash; in the message-drop scenario 10 % of
 * messages sent in ticks [50, 300) are lost. The harness writes the template's own lines where
 * its Application does (`APP` per node before tick 0, each crash's `Node failed at time=100`, and
 * `@@time=500` when peer 1 is alive: see `classroom-application.ts`), so the debug log is the
 * template's whole file and grades with the original rules.
 */
import type { JournalEvent } from '../../journal/events.ts';
import { formatDbgLog } from '../../journal/dbg-log.ts';
import type { PeerId } from '../../machine.ts';
import type { GossipConfig } from '../../membership/gossip/config.ts';
import type { SwimConfig } from '../../membership/swim/config.ts';
import type { MembershipProtocol } from '../../membership/types.ts';
import { MembershipCluster } from '../membership-cluster.ts';
import { describeDelay, type DelayModel } from '../network.ts';
import { applicationStartLines, failedLine, runWithTimeStamps } from './classroom-application.ts';

export const MEMBERSHIP_SCENARIOS = ['single-failure', 'multi-failure', 'message-drop'] as const;
export type MembershipScenario = (typeof MEMBERSHIP_SCENARIOS)[number];

/** The constants of the original `Params` and `testcases/*.conf`. */
export const CLASSROOM = {
  peers: 10,
  ticks: 700,
  stepRate: 0.25,
  failTick: 100,
  dropStartTick: 50,
  dropEndTick: 300,
  dropProbability: 0.1,
  messageBytesMax: 4000,
  inFlightMax: 30_000,
} as const;

export interface ClassroomMembershipOptions {
  readonly scenario: MembershipScenario;
  readonly protocol: MembershipProtocol;
  readonly seed: number;
  /** Added to every message (the scenarios must also pass with loss and delay together). */
  readonly delay?: DelayModel;
  readonly gossip?: Partial<GossipConfig>;
  readonly swim?: Partial<SwimConfig>;
}

export interface ClassroomMembershipRun {
  readonly events: readonly JournalEvent[];
  readonly dbgLog: string;
  readonly crashed: readonly PeerId[];
  /** How to replay this run. */
  readonly replay: string;
}

export function runClassroomMembership(options: ClassroomMembershipOptions): ClassroomMembershipRun {
  const events: JournalEvent[] = [];
  const cluster = new MembershipCluster({
    protocol: options.protocol,
    peers: CLASSROOM.peers,
    seed: options.seed,
    network: {
      messageBytesMax: CLASSROOM.messageBytesMax,
      inFlightMax: CLASSROOM.inFlightMax,
      ...(options.delay ? { delay: options.delay } : {}),
    },
    ...(options.gossip ? { gossip: options.gossip } : {}),
    ...(options.swim ? { swim: options.swim } : {}),
    onEvent: (event) => events.push(event),
  });
  const { sim, ids } = cluster;
  const scenarioRandom = sim.random.derive('scenario');

  for (const line of applicationStartLines(ids, 'mp1')) sim.emit(line);
  ids.forEach((id, index) => sim.at(Math.floor(CLASSROOM.stepRate * index), () => cluster.start(id)));

  if (options.scenario === 'message-drop') {
    sim.at(CLASSROOM.dropStartTick, () => {
      sim.network.configure({ loss: CLASSROOM.dropProbability });
      sim.emit({ kind: 'fault.changed', tick: sim.now, description: `loss ${CLASSROOM.dropProbability}` });
    });
    sim.at(CLASSROOM.dropEndTick, () => {
      sim.network.configure({ loss: 0 });
      sim.emit({ kind: 'fault.changed', tick: sim.now, description: 'loss 0' });
    });
  }

  const crashed: PeerId[] = [];
  if (options.scenario === 'multi-failure') {
    const first = scenarioRandom.int(0, CLASSROOM.peers / 2 - 1);
    for (let index = first; index < first + CLASSROOM.peers / 2; index++) crashed.push(ids[index] as PeerId);
  } else {
    crashed.push(ids[scenarioRandom.int(0, CLASSROOM.peers - 1)] as PeerId);
  }
  // The original harness's two spellings: `time=100` for one failure, `time = 100` for several.
  const spelling = options.scenario === 'multi-failure' ? 'several' : 'one';
  sim.at(CLASSROOM.failTick, () => {
    for (const id of crashed) {
      sim.emit(failedLine(id, sim.now, spelling));
      cluster.crash(id);
    }
  });

  runWithTimeStamps(cluster, CLASSROOM.ticks);
  const delay = options.delay ? ` --delay ${describeDelay(options.delay)}` : '';
  return {
    events,
    dbgLog: formatDbgLog(events, { firstEntryWithoutAddress: true }),
    crashed,
    replay: `ringside grade membership --scenario ${options.scenario} --protocol ${options.protocol} --seed ${options.seed}${delay}`,
  };
}
