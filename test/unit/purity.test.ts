import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The core is pure (ARCHITECTURE.md): ESLint enforces this file by file; this test keeps the rule
// visible in the test suite, so a change to the lint configuration cannot silently drop it.
const sharedDirectory = join(import.meta.dirname, '../../src/shared');
const FORBIDDEN: readonly { pattern: RegExp; why: string }[] = [
  { pattern: /\bMath\.random\s*\(/, why: 'unseeded randomness' },
  { pattern: /\bDate\.now\s*\(|\bnew Date\s*\(/, why: 'reads the clock' },
  { pattern: /\bperformance\.now\s*\(/, why: 'reads the clock' },
  { pattern: /\bset(?:Timeout|Interval|Immediate)\s*\(/, why: 'timers' },
  { pattern: /from ['"]node:|require\(['"]node:/, why: 'imports a Node API' },
  { pattern: /from ['"](?:electron|ws|fs|path|os|child_process|net)['"]/, why: 'does IO' },
  { pattern: /from ['"](?:\.\.\/)+(?:main|peer|cli|renderer|preload)\//, why: 'imports from outside src/shared' },
];

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(directory, entry.name)) : entry.name.endsWith('.ts') ? [join(directory, entry.name)] : [],
  );
}

describe('src/shared', () => {
  it('reads no clock, draws no unseeded random number, does no IO and imports nothing outside itself', () => {
    const files = sourceFiles(sharedDirectory);
    expect(files.length).toBeGreaterThan(15);
    const violations = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return FORBIDDEN.filter(({ pattern }) => pattern.test(text)).map(({ why }) => `${relative(sharedDirectory, file)}: ${why}`);
    });
    expect(violations).toEqual([]);
  });

  it('would catch a forbidden call (the patterns are live)', () => {
    const sample = "const x = Math.random(); import { readFileSync } from 'node:fs'; setTimeout(f, 1);";
    expect(FORBIDDEN.filter(({ pattern }) => pattern.test(sample)).map(({ why }) => why)).toEqual([
      'unseeded randomness',
      'timers',
      'imports a Node API',
    ]);
  });
});
