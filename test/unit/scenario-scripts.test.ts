import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript } from '../../src/shared/sim/script.ts';

// Each script in test/scenarios has a golden transcript next to it in test/scenarios/golden.
// A diff is re-recorded (`npx vitest run -u`) only once it is understood.
const scenariosDirectory = join(import.meta.dirname, '../scenarios');
const scripts = readdirSync(scenariosDirectory).filter((file) => file.endsWith('.txt'));

describe('scenario scripts', () => {
  it('finds the scripts', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(10);
  });

  for (const script of scripts) {
    it(`${script} meets every expectation and matches its golden transcript`, async () => {
      const result = runScript(readFileSync(join(scenariosDirectory, script), 'utf8'));
      expect(result.transcript).not.toContain('FAIL');
      expect(result.failures).toBe(0);
      await expect(result.transcript).toMatchFileSnapshot(join(scenariosDirectory, 'golden', script.replace(/\.txt$/, '.out')));
    });
  }
});
