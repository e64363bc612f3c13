/** `ringside sim FILE`: runs a scenario script and prints its transcript. */
import { runScript } from '../../shared/sim/script.ts';
import { readTextFile } from '../files.ts';
import { EXIT_FAILED, EXIT_OK, type CliIo } from '../io.ts';

export function simCommand(file: string, io: CliIo): number {
  const result = runScript(readTextFile(file));
  if (result.transcript.trim() === '') {
    io.err(`${file === '-' ? 'standard input' : file} has no commands (see: ringside sim --help)\n`);
    return EXIT_OK;
  }
  io.out(result.transcript);
  if (result.failures > 0) {
    io.err(`${result.failures} expectation${result.failures === 1 ? '' : 's'} failed\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
}
