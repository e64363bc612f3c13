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

/** The one argument a command takes; refuses the line otherwise. */
export function oneArgument(args: readonly string[], what: string, line: number): string {
  if (args.length !== 1) throw new ScriptError(line, `expected ${what}`);
  return args[0] as string;
}

/** A whole number in [min, max]; refuses the line otherwise. */
export function wholeNumber(text: string, min: number, max: number, line: number): number {
  if (!/^\d+$/.test(text)) throw new ScriptError(line, `"${text}" is not a whole number`);
  const value = Number(text);
  if (value < min || value > max) throw new ScriptError(line, `${value} is out of range [${min}, ${max}]`);
  return value;
}
