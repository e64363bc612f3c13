/**
 * The classroom membership grader (the original `Grader.sh`), reading a dbg.log.
 *
 * It applies the original rules to the log text, with three deliberate differences:
 * - the original matched addresses with `grep`, where `.` matches any character (so
 *   `1.0.0.0:0` could match inside another address); here fields are compared exactly;
 * - the original counted a `removed` line if the crashed peer's address appeared anywhere in
 *   it, observer field included; here only the removed peer (the subject) counts, so lines a
 *   crashed peer wrote before crashing never count towards its own removal;
 * - on the message-drop scenario the original printed `Checking Join....10/10` while adding 15
 *   points; here the line says 15/15.
 *
 * - join: 100 distinct (observer, joined peer) pairs, or every observer names the 9 others;
 * - single failure: completeness = at least 9 distinct `removed` lines name the crashed peer;
 *   accuracy = no `removed` line names another peer (and at least one names the crashed one);
 * - multi failure: 2 points per crashed peer named by at least 5 distinct `removed` lines, and
 *   2 points per crashed peer when exactly 20 distinct `removed` lines name someone else
 *   (5 survivors removing each of the 5 crashed peers once: 25 lines, 20 of them not about it);
 * - message drop: join and completeness as for one failure, worth 15 each.
 *
 * Beyond the original, it reports when each removal happened after the crash and every removal
 * of a peer that had not crashed (a false removal).
 */
import type { MembershipScenario } from '../sim/scenarios/classroom-membership.ts';

export interface DbgEntry {
  readonly address: string;
  readonly tick: number;
  readonly text: string;
  /** The line as written, without its leading space (what `sort -u` compares). */
  readonly line: string;
}

/**
 * Entries of a dbg.log; lines that are not entries (the magic header, blanks) are skipped. The
 * template's first entry has no address (` [0] APP`, see `journal/dbg-log.ts`): its address is ''.
 */
export function parseDbgLog(text: string): DbgEntry[] {
  const entries: DbgEntry[] = [];
  for (const raw of text.split('\n')) {
    // ` ADDRESS [TICK] TEXT`: the graders cut on single spaces, so field 2 is the address.
    const match = /^ (?:(\S+) )?\[(-?\d+)\] (.*)$/.exec(raw);
    if (match === null) continue;
    entries.push({ address: match[1] ?? '', tick: Number(match[2]), text: match[3] as string, line: raw.slice(1) });
  }
  return entries;
}

export interface GradeCheck {
  readonly name: 'Join' | 'Completeness' | 'Accuracy';
  readonly points: number;
  readonly max: number;
}

export interface Removal {
  readonly observer: string;
  readonly subject: string;
  readonly tick: number;
}

export interface ScenarioGrade {
  readonly scenario: MembershipScenario;
  readonly checks: readonly GradeCheck[];
  readonly points: number;
  readonly max: number;
  readonly crashed: readonly { readonly address: string; readonly tick: number }[];
  /** Removals of crashed peers, each with the ticks it took after the crash. */
  readonly detections: readonly (Removal & { readonly afterTicks: number })[];
  /** Removals of peers that never crashed. */
  readonly falseRemovals: readonly Removal[];
}

export const SCENARIO_TITLES: Readonly<Record<MembershipScenario, string>> = {
  'single-failure': 'Single Failure Scenario',
  'multi-failure': 'Multi Failure Scenario',
  'message-drop': 'Message Drop Single Failure Scenario',
};

const PEER_COUNT = 10;
const MEMBERSHIP_LINE = /^Node (\S+) (joined|removed) at time (-?\d+)$/;

interface MembershipLine {
  readonly entry: DbgEntry;
  readonly subject: string;
  readonly verb: 'joined' | 'removed';
}

export function gradeMembership(scenario: MembershipScenario, dbgLog: string): ScenarioGrade {
  const entries = parseDbgLog(dbgLog);
  const lines: MembershipLine[] = [];
  for (const entry of entries) {
    const match = MEMBERSHIP_LINE.exec(entry.text);
    if (match !== null) lines.push({ entry, subject: match[1] as string, verb: match[2] as 'joined' | 'removed' });
  }
  const crashed = entries
    .filter((entry) => entry.text.startsWith('Node failed at time'))
    .map((entry) => ({ address: entry.address, tick: entry.tick }));
  const crashedAddresses = new Set(crashed.map((crash) => crash.address));

  // `grep removed dbg.log | sort -u`: distinct removed lines, tick included.
  const removedLines = distinct(lines.filter((line) => line.verb === 'removed'), (line) => line.entry.line);
  const namingCount = (address: string): number => removedLines.filter((line) => line.subject === address).length;

  const joinMax = scenario === 'message-drop' ? 15 : 10;
  const checks: GradeCheck[] = [{ name: 'Join', points: joinComplete(lines) ? joinMax : 0, max: joinMax }];

  if (scenario === 'multi-failure') {
    const failed = [...crashedAddresses].slice(0, 5);
    let completeness = 0;
    let accuracy = 0;
    for (const address of failed) {
      if (namingCount(address) >= 5) completeness += 2;
      if (removedLines.length - namingCount(address) === 20) accuracy += 2;
    }
    checks.push({ name: 'Completeness', points: completeness, max: 10 });
    checks.push({ name: 'Accuracy', points: accuracy, max: 10 });
  } else {
    const failed = crashed[0]?.address;
    const failCount = failed === undefined ? 0 : namingCount(failed);
    const completenessMax = scenario === 'message-drop' ? 15 : 10;
    checks.push({ name: 'Completeness', points: failCount >= PEER_COUNT - 1 ? completenessMax : 0, max: completenessMax });
    if (scenario === 'single-failure') {
      const others = removedLines.filter((line) => line.subject !== failed).length;
      checks.push({ name: 'Accuracy', points: others === 0 && failCount > 0 ? 10 : 0, max: 10 });
    }
  }

  const crashTick = new Map(crashed.map((crash) => [crash.address, crash.tick]));
  const detections: (Removal & { afterTicks: number })[] = [];
  const falseRemovals: Removal[] = [];
  for (const line of lines) {
    if (line.verb !== 'removed') continue;
    const removal = { observer: line.entry.address, subject: line.subject, tick: line.entry.tick };
    const crashedAt = crashTick.get(line.subject);
    if (crashedAt === undefined || line.entry.tick < crashedAt) falseRemovals.push(removal);
    else detections.push({ ...removal, afterTicks: line.entry.tick - crashedAt });
  }

  return {
    scenario,
    checks,
    points: checks.reduce((sum, check) => sum + check.points, 0),
    max: checks.reduce((sum, check) => sum + check.max, 0),
    crashed,
    detections,
    falseRemovals,
  };
}

/** The original's join rule: 100 distinct observer/joined pairs, or 10 observers naming 9 others. */
function joinComplete(lines: readonly MembershipLine[]): boolean {
  const joined = lines.filter((line) => line.verb === 'joined');
  const pairs = new Set(joined.map((line) => `${line.entry.address} ${line.subject}`));
  if (pairs.size === PEER_COUNT * PEER_COUNT) return true;
  const observers = new Set(joined.map((line) => line.entry.address));
  let complete = 0;
  for (const observer of observers) {
    const others = new Set(
      joined.filter((line) => line.entry.address === observer && line.subject !== observer).map((line) => line.subject),
    );
    if (others.size === PEER_COUNT - 1) complete++;
  }
  return complete === PEER_COUNT;
}

function distinct<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const itemKey = key(item);
    if (seen.has(itemKey)) return false;
    seen.add(itemKey);
    return true;
  });
}

const RULE = '============================================';
const SHORT_RULE = '============================';

/** The grader's report, laid out as the original printed it. */
export function formatGrades(grades: readonly ScenarioGrade[]): string {
  const lines = [RULE, 'Grading Started', RULE];
  grades.forEach((grade, index) => {
    if (index > 0) lines.push(RULE);
    lines.push(SCENARIO_TITLES[grade.scenario], SHORT_RULE);
    for (const check of grade.checks) {
      lines.push(`Checking ${check.name}${'.'.repeat(22 - check.name.length)}${check.points}/${check.max}`);
    }
  });
  // As the original: no rule before the total, and no maximum after it.
  lines.push(`Final grade ${grades.reduce((sum, grade) => sum + grade.points, 0)}`);
  return lines.join('\n');
}
