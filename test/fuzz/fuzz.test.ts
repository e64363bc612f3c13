/**
 * Fuzzing in CI (issue 12): every fuzz target replays its committed corpus, then fuzzes for a
 * bounded time (FUZZ_SECONDS, default 15 s each, one after the other), and any finding fails
 * the test with the input's path and the stack. The engine is checked too: it must find a bug
 * planted behind four nested comparisons, and a hang. `npm run fuzz` runs the same targets longer.
 *
 * The targets run through `fuzz/run.ts`, as `npm run fuzz` runs them: each in a process of its
 * own, so that a hang or runaway memory ends that process, not this test's worker.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SECONDS = Number(process.env['FUZZ_SECONDS'] ?? 15);
// As for the property tests: the same inputs in every CI run, so that a red run replays.
const SEED = process.env['CI'] ? 20_261_207 : Math.floor(Math.random() * 0x7fff_ffff);
const ROOT = join(import.meta.dirname, '..', '..');
const TARGETS = readdirSync(join(ROOT, 'fuzz', 'targets'))
  .filter((file) => file.endsWith('.fuzz.ts'))
  .map((file) => file.slice(0, -'.fuzz.ts'.length))
  .sort();
const PLANTED = join(import.meta.dirname, 'fixtures', 'planted.fuzz.ts');

/** What `fuzz/run.ts --report` writes for each target (its TargetOutcome). */
interface Outcome {
  readonly target: string;
  readonly ok: boolean;
  readonly stats?: { readonly executions: number; readonly blocks: number };
  readonly inputs?: number;
  readonly finding?: { readonly kind: string; readonly path: string; readonly error: string };
  readonly problem?: string;
}

const scratch = mkdtempSync(join(tmpdir(), 'ringside-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs `fuzz/run.ts` with `args`; its outcomes, and its output for failure messages. */
function fuzz(args: readonly string[], env: Record<string, string> = {}): Promise<{ outcomes: Outcome[]; output: string }> {
  const report = join(mkdtempSync(join(scratch, 'report-')), 'outcomes.json');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', join(ROOT, 'fuzz', 'run.ts'), '--no-work', '--report', report, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve({ outcomes: JSON.parse(readFileSync(report, 'utf8')) as Outcome[], output });
      } catch {
        reject(new Error(`fuzz/run.ts wrote no report:\n${output.slice(-4000)}`));
      }
    });
  });
}

/** The failure message: what was found and where its input is, and how to run it again. */
function explain(outcome: Outcome | undefined, output: string): string {
  return `${JSON.stringify(outcome, null, 2)}\n${output.split('\n').filter((line) => !/\] #\d/.test(line)).slice(-30).join('\n')}`;
}

describe('fuzzing', () => {
  it('replays the committed corpus of every target without a finding', async () => {
    const { outcomes, output } = await fuzz(['--replay']);
    expect(outcomes.map((outcome) => outcome.target)).toEqual(TARGETS);
    expect(TARGETS).toEqual(['api-json', 'control-request', 'peer-frame', 'resp-request']);
    for (const outcome of outcomes) {
      expect(outcome.ok, explain(outcome, output)).toBe(true);
      expect(outcome.inputs).toBeGreaterThan(0);
    }
  }, 120_000);

  for (const name of TARGETS) {
    it(`fuzzes ${name} for ${SECONDS} s (seed ${SEED}) without a finding`, async () => {
      const { outcomes, output } = await fuzz(['--seconds', String(SECONDS), '--seed', String(SEED), name]);
      const [outcome] = outcomes;
      expect(outcome?.ok, `again with: npm run fuzz -- --seed ${SEED} --seconds ${SECONDS} ${name}\n${explain(outcome, output)}`).toBe(true);
      expect(outcome?.stats?.executions).toBeGreaterThan(1000);
    }, (SECONDS + 90) * 1000);
  }

  describe('the engine', () => {
    for (const kind of ['crash', 'hang'] as const) {
      it(`finds a ${kind} planted behind four comparisons, and saves the input`, async () => {
        const corpora = mkdtempSync(join(scratch, `${kind}-`));
        const { outcomes, output } = await fuzz(['--seconds', '60', '--seed', '7', PLANTED], { FUZZ_CORPUS_ROOT: corpora, FUZZ_HANG_MS: '1000', PLANTED: kind });
        const [outcome] = outcomes;
        expect(outcome?.finding?.kind, explain(outcome, output)).toBe(kind === 'crash' ? 'crash' : 'timeout');
        if (kind === 'crash') expect(outcome?.finding?.error).toContain('the planted bug');
        const saved = readdirSync(join(corpora, 'planted'));
        expect(saved).toHaveLength(1);
        expect(saved[0]).toMatch(kind === 'crash' ? /^crash-[0-9a-f]{40}$/ : /^timeout-[0-9a-f]{40}$/);
        expect(readFileSync(join(corpora, 'planted', saved[0] as string)).subarray(0, 4).toString('latin1')).toBe('FUZZ');
      }, 120_000);
    }
  });
});
