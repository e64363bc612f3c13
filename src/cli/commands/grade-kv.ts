/**
 * `ringside grade kv`: runs the classroom key-value tests in the simulator, writes their
 * dbg.log, and grades it with the classroom rules, printed as KVStoreGrader.sh did.
 */
import { formatKvGrades, gradeKv, type KvGrade } from '../../shared/check/kv-grader.ts';
import { KV_TESTS, runClassroomKv, type KvTest } from '../../shared/sim/scenarios/classroom-kv.ts';
import { writeTextFile } from '../files.ts';
import { formatTable, outPath, seedList } from '../format.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

export interface GradeKvOptions {
  readonly test: KvTest | 'all';
  readonly seed: number;
  readonly seeds?: { readonly first: number; readonly last: number };
  readonly out?: string;
}

export function gradeKvCommand(options: GradeKvOptions, io: CliIo): number {
  const tests = options.test === 'all' ? [...KV_TESTS] : [options.test];
  if (options.seeds === undefined) {
    const runs = tests.map((test) => ({ test, run: runClassroomKv({ test, seed: options.seed }) }));
    const grades = runs.map(({ test, run }) => gradeKv(test, run.dbgLog));
    io.out(`Ringside: classroom key-value store, seed ${options.seed}\n`);
    io.out(`${formatKvGrades(grades)}\n`);
    for (const { test, run } of runs) {
      const grade = grades.find((candidate) => candidate.test === test) as KvGrade;
      if (grade.points < grade.max) io.out(`replay: ${run.replay}\n`);
      if (options.out !== undefined) {
        const path = tests.length > 1 ? outPath(options.out, test) : options.out;
        writeTextFile(path, run.dbgLog);
        io.out(`wrote ${path}\n`);
      }
    }
    return grades.every((grade) => grade.points === grade.max) ? EXIT_OK : EXIT_FAILED;
  }

  const seeds = seedList(options.seed, options.seeds);
  const rows: string[][] = [['test', 'full marks', 'mean points']];
  const failures: string[] = [];
  for (const test of tests) {
    let full = 0;
    let points = 0;
    let max = 0;
    for (const [index, seed] of seeds.entries()) {
      const grade = gradeKv(test, runClassroomKv({ test, seed }).dbgLog);
      max = grade.max;
      points += grade.points;
      if (grade.points === grade.max) full++;
      else failures.push(`  ${grade.points}/${grade.max}  ringside grade kv --test ${test} --seed ${seed}`);
      if (io.interactive && index % 10 === 9) io.err(`\r  ${test}: ${index + 1}/${seeds.length} seeds        `);
    }
    rows.push([test, `${full}/${seeds.length}`, `${(points / seeds.length).toFixed(1)} / ${max}`]);
  }
  if (io.interactive) io.err('\r\x1b[K');
  io.out(`Ringside: classroom key-value sweep, seeds ${seeds[0]}-${seeds.at(-1)}\n${formatTable(rows)}\n`);
  if (failures.length === 0) {
    io.out(`All ${seeds.length * tests.length} runs scored full marks.\n`);
    return EXIT_OK;
  }
  io.out(`${failures.length} runs missed full marks:\n${failures.slice(0, 20).join('\n')}\n`);
  return EXIT_FAILED;
}
