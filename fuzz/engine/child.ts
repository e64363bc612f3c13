/**
 * One target in a process of its own (started by `fuzz/run.ts`): fuzz it for a time, or replay
 * its corpus. A crash, a hang or runaway memory then ends this process only, and the parent
 * still reports it. The last line is `FUZZ-RESULT <json>` (or, from the watchdog, `FUZZ-FINDING`).
 *
 *   node fuzz/engine/child.ts <target> fuzz|replay <seconds> <seed> <work: 0|1>
 *
 * <target> is a name in fuzz/targets, or the path of a target module (the engine's own tests).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { corpusFolder, fuzz, REPO_ROOT, replay } from './fuzzer.ts';
import type { FuzzTarget } from './target.ts';
import { startWatchdog } from './watchdog.ts';

/** An input that has run this long hangs (libFuzzer's -timeout is 1200 s; parsers are quicker). */
const HANG_MS = Number(process.env['FUZZ_HANG_MS'] ?? 10_000);
/** Resident memory past this ends the run as `oom` (libFuzzer's -rss_limit_mb is 2048). */
const RSS_LIMIT_MB = 1536;

const [name, mode, seconds, seed, work] = process.argv.slice(2);
if (name === undefined || (mode !== 'fuzz' && mode !== 'replay')) {
  process.stderr.write('usage: node fuzz/engine/child.ts <target> fuzz|replay <seconds> <seed> <work: 0|1>\n');
  process.exit(2);
}
const path = name.endsWith('.ts') ? resolve(name) : join(REPO_ROOT, 'fuzz', 'targets', `${name}.fuzz.ts`);
const loaded = (await import(pathToFileURL(path).href)) as { target: FuzzTarget };
const target = loaded.target;
const watchdog = startWatchdog({ folder: corpusFolder(target), root: REPO_ROOT, maxLength: target.maxLength ?? 4096, hangMs: HANG_MS, rssLimitMb: RSS_LIMIT_MB });
const log = (line: string): void => void process.stdout.write(`${line}\n`);

let failed: boolean;
if (mode === 'replay') {
  const result = replay(target, { onInput: watchdog.onInput });
  log(`FUZZ-RESULT ${JSON.stringify(result)}`);
  failed = result.failure !== undefined;
} else {
  const result = await fuzz(target, { seconds: Number(seconds ?? 20), seed: Number(seed ?? 1), work: work !== '0', log, onInput: watchdog.onInput });
  log(`FUZZ-RESULT ${JSON.stringify(result)}`);
  failed = result.finding !== undefined;
}
await watchdog.stop();
process.exitCode = failed ? 1 : 0;
