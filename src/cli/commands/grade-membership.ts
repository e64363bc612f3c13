/**
 * `ringside grade membership`: runs the classroom membership scenarios in the simulator, writes
 * their dbg.log, grades it with the classroom rules and prints the points as the original grader
 * did, then what Ringside measures on top (detection times, false removals).
 */
import {
  formatGrades,
  gradeMembership,
  SCENARIO_TITLES,
  type ScenarioGrade,
} from '../../shared/check/membership-grader.ts';
import { MEMBERSHIP_PROTOCOLS, type MembershipProtocol } from '../../shared/membership/types.ts';
import type { DelayModel } from '../../shared/sim/network.ts';
import {
  MEMBERSHIP_SCENARIOS,
  runClassroomMembership,
  type MembershipScenario,
} from '../../shared/sim/scenarios/classroom-membership.ts';
import { writeTextFile } from '../files.ts';
import { formatDelay, formatTable, median, outPath } from '../format.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

export interface GradeMembershipOptions {
  readonly scenario: MembershipScenario | 'all';
  readonly protocol: MembershipProtocol | 'all';
  readonly seed: number;
  readonly seeds?: { readonly first: number; readonly last: number };
  readonly delay?: DelayModel;
  readonly out?: string;
}

interface GradedRun {
  readonly protocol: MembershipProtocol;
  readonly scenario: MembershipScenario;
  readonly seed: number;
  readonly grade: ScenarioGrade;
  readonly replay: string;
  readonly dbgLog: string;
}

export function gradeMembershipCommand(options: GradeMembershipOptions, io: CliIo): number {
  const scenarios = options.scenario === 'all' ? [...MEMBERSHIP_SCENARIOS] : [options.scenario];
  const protocols = options.protocol === 'all' ? [...MEMBERSHIP_PROTOCOLS] : [options.protocol];
  return options.seeds === undefined
    ? gradeOneSeed(options, scenarios, protocols, io)
    : sweep(options, options.seeds, scenarios, protocols, io);
}

function run(protocol: MembershipProtocol, scenario: MembershipScenario, seed: number, delay?: DelayModel): GradedRun {
  const result = runClassroomMembership({ protocol, scenario, seed, ...(delay ? { delay } : {}) });
  return { protocol, scenario, seed, grade: gradeMembership(scenario, result.dbgLog), replay: result.replay, dbgLog: result.dbgLog };
}

function gradeOneSeed(
  options: GradeMembershipOptions,
  scenarios: readonly MembershipScenario[],
  protocols: readonly MembershipProtocol[],
  io: CliIo,
): number {
  let full = true;
  const several = scenarios.length * protocols.length > 1;
  protocols.forEach((protocol, index) => {
    const runs = scenarios.map((scenario) => run(protocol, scenario, options.seed, options.delay));
    if (index > 0) io.out('\n');
    io.out(`Ringside: classroom membership, protocol ${protocol}, seed ${options.seed}, delay ${formatDelay(options.delay)}\n`);
    io.out(`${formatGrades(runs.map((graded) => graded.grade))}\n\n`);
    for (const graded of runs) {
      io.out(`${describeRun(graded.grade)}\n`);
      if (graded.grade.points < graded.grade.max) io.out(`  replay: ${graded.replay}\n`);
      if (options.out !== undefined) {
        const path = several ? outPath(options.out, protocols.length > 1 ? protocol : undefined, scenarios.length > 1 ? graded.scenario : undefined) : options.out;
        writeTextFile(path, graded.dbgLog);
        io.out(`  wrote ${path}\n`);
      }
      full &&= graded.grade.points === graded.grade.max;
    }
  });
  return full ? EXIT_OK : EXIT_FAILED;
}

/** What Ringside adds to the original report: who crashed, how fast it was removed, and errors. */
export function describeRun(grade: ScenarioGrade): string {
  const crashed = grade.crashed.map((crash) => crash.address);
  const crashTick = grade.crashed[0]?.tick;
  const lines = [`${SCENARIO_TITLES[grade.scenario]}: ${grade.points}/${grade.max}`];
  lines.push(`  crashed at tick ${crashTick ?? '?'}: ${crashed.join(', ') || 'none'}`);
  if (grade.detections.length > 0) {
    const ticks = grade.detections.map((detection) => detection.afterTicks).sort((a, b) => a - b);
    lines.push(
      `  removed ${grade.detections.length} times, ${ticks[0]}-${ticks[ticks.length - 1]} ticks after the crash (median ${median(ticks)})`,
    );
  } else {
    lines.push('  never removed');
  }
  const falseRemovals = grade.falseRemovals
    .slice(0, 5)
    .map((removal) => `${removal.subject} by ${removal.observer} at tick ${removal.tick}`);
  const more = grade.falseRemovals.length > 5 ? `, and ${grade.falseRemovals.length - 5} more` : '';
  lines.push(`  false removals: ${grade.falseRemovals.length === 0 ? 'none' : `${grade.falseRemovals.length} (${falseRemovals.join('; ')}${more})`}`);
  return lines.join('\n');
}

interface SweepRow {
  readonly protocol: MembershipProtocol;
  readonly scenario: MembershipScenario;
  runs: number;
  fullMarks: number;
  /** Per run, ticks until the last removal of a crashed peer. */
  readonly detectionTicks: number[];
  falseRemovals: number;
  runsWithFalseRemovals: number;
}

function sweep(
  options: GradeMembershipOptions,
  seeds: { readonly first: number; readonly last: number },
  scenarios: readonly MembershipScenario[],
  protocols: readonly MembershipProtocol[],
  io: CliIo,
): number {
  const rows: SweepRow[] = [];
  const failures: GradedRun[] = [];
  const total = (seeds.last - seeds.first + 1) * scenarios.length * protocols.length;
  let done = 0;
  io.out(`Ringside: classroom membership sweep, seeds ${seeds.first}-${seeds.last}, delay ${formatDelay(options.delay)}\n`);
  for (const protocol of protocols) {
    for (const scenario of scenarios) {
      const row: SweepRow = { protocol, scenario, runs: 0, fullMarks: 0, detectionTicks: [], falseRemovals: 0, runsWithFalseRemovals: 0 };
      rows.push(row);
      for (let seed = seeds.first; seed <= seeds.last; seed++) {
        const graded = run(protocol, scenario, seed, options.delay);
        row.runs++;
        if (graded.grade.points === graded.grade.max) row.fullMarks++;
        else failures.push(graded);
        const last = Math.max(...graded.grade.detections.map((detection) => detection.afterTicks));
        if (Number.isFinite(last)) row.detectionTicks.push(last);
        row.falseRemovals += graded.grade.falseRemovals.length;
        if (graded.grade.falseRemovals.length > 0) row.runsWithFalseRemovals++;
        done++;
        if (io.interactive && (done % 10 === 0 || done === total)) {
          io.err(`\r  ${done}/${total} runs (${protocol}, ${scenario}, seed ${seed})        `);
        }
      }
    }
  }
  if (io.interactive) io.err('\r\x1b[K');

  const header = ['protocol', 'scenario', 'full marks', 'detection mean', 'detection max', 'false removals', 'runs with any'];
  const table = rows.map((row) => [
    row.protocol,
    row.scenario,
    `${row.fullMarks}/${row.runs}`,
    row.detectionTicks.length > 0 ? (row.detectionTicks.reduce((a, b) => a + b, 0) / row.detectionTicks.length).toFixed(1) : '-',
    row.detectionTicks.length > 0 ? String(Math.max(...row.detectionTicks)) : '-',
    String(row.falseRemovals),
    String(row.runsWithFalseRemovals),
  ]);
  io.out(`${formatTable([header, ...table])}\n`);
  io.out('(detection: ticks from the crash until the last survivor removed the crashed peers)\n');
  if (failures.length === 0) {
    io.out(`All ${total} runs scored full marks.\n`);
    return EXIT_OK;
  }
  io.out(`${failures.length} of ${total} runs missed full marks:\n`);
  for (const failure of failures.slice(0, 20)) {
    io.out(`  ${failure.grade.points}/${failure.grade.max}  ${failure.replay}\n`);
  }
  if (failures.length > 20) io.out(`  … and ${failures.length - 20} more\n`);
  return EXIT_FAILED;
}
