/** `ringside sim FILE`: runs a scenario script and prints its transcript. */
import { readFileSync } from 'node:fs';
import { runScript } from '../../shared/sim/script.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

export function simCommand(file: string, io: CliIo): number {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  const result = runScript(text);
  io.out(result.transcript);
  if (result.failures > 0) {
    io.err(`${result.failures} expectation${result.failures === 1 ? '' : 's'} failed\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
