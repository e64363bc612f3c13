/** What every scenario script language (membership, DHT) gives back, and how it refuses a line. */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

export interface ScriptResult {
  readonly transcript: string;
  readonly failures: number;
  readonly ticks: number;
}

/** The script's lines without comments, numbered from 1, blank ones left out. */
export function scriptLines(text: string): { number: number; source: string }[] {
  return text
    .split('\n')
    .map((line, index) => ({ number: index + 1, source: line.replace(/#.*/, '').trim() }))
    .filter((line) => line.source !== '');
}
