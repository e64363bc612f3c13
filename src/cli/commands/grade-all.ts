/** `ringside grade all`: every classroom scenario, membership and key-value, in one table. */
import { gradeKv } from '../../shared/check/kv-grader.ts';
import { gradeMembership } from '../../shared/check/membership-grader.ts';
import { MEMBERSHIP_PROTOCOLS } from '../../shared/membership/types.ts';
import { KV_TESTS, runClassroomKv } from '../../shared/sim/scenarios/classroom-kv.ts';
import { MEMBERSHIP_SCENARIOS, runClassroomMembership } from '../../shared/sim/scenarios/classroom-membership.ts';
import { formatTable, seedList } from '../format.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

export interface GradeAllOptions {
  readonly seed: number;
  readonly seeds?: { readonly first: number; readonly last: number };
}

interface Row {
  readonly part: string;
  readonly protocol: string;
  readonly test: string;
  readonly grade: (seed: number) => { points: number; max: number };
}

export function gradeAllCommand(options: GradeAllOptions, io: CliIo): number {
  const rows: Row[] = [
    ...MEMBERSHIP_PROTOCOLS.flatMap((protocol) =>
      MEMBERSHIP_SCENARIOS.map((scenario) => ({
        part: 'membership',
        protocol,
        test: scenario,
        grade: (seed: number) => gradeMembership(scenario, runClassroomMembership({ protocol, scenario, seed }).dbgLog),
      })),
    ),
    ...KV_TESTS.map((test) => ({ part: 'key-value', protocol: 'gossip', test, grade: (seed: number) => gradeKv(test, runClassroomKv({ test, seed }).dbgLog) })),
  ];
  const seeds = seedList(options.seed, options.seeds);
  const table: string[][] = [['part', 'protocol', 'test', seeds.length === 1 ? 'points' : 'full marks']];
  let allFull = true;
  for (const [index, row] of rows.entries()) {
    let full = 0;
    let last = { points: 0, max: 0 };
    for (const seed of seeds) {
      last = row.grade(seed);
      if (last.points === last.max) full++;
    }
    allFull &&= full === seeds.length;
    table.push([row.part, row.protocol, row.test, seeds.length === 1 ? `${last.points}/${last.max}` : `${full}/${seeds.length}`]);
    if (io.interactive) io.err(`\r  ${index + 1}/${rows.length} ${row.part} ${row.test}        `);
  }
  if (io.interactive) io.err('\r\x1b[K');
  const seedText = seeds.length === 1 ? `seed ${seeds[0]}` : `seeds ${seeds[0]}-${seeds.at(-1)}`;
  io.out(`Ringside: every classroom scenario, ${seedText}\n${formatTable(table)}\n`);
  io.out(allFull ? 'Full marks everywhere (membership 90 per protocol, key-value 90).\n' : 'Some scenarios missed full marks: rerun them with ringside grade membership or grade kv.\n');
  return allFull ? EXIT_OK : EXIT_FAILED;
}
