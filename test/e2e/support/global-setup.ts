/**
 * Builds the window once per test run (into a temporary folder, so a developer's `out/` is left
 * alone) for the end-to-end tests, which serve it as `ringside serve` does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    rendererRoot: string;
  }
}

export default function setup(project: TestProject): () => void {
  const outDir = mkdtempSync(join(tmpdir(), 'ringside-e2e-build-'));
  execFileSync(process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build', '--outDir', outDir, '--logLevel', 'error'], { stdio: 'inherit' });
  project.provide('rendererRoot', join(outDir, 'renderer'));
  return () => rmSync(outDir, { recursive: true, force: true });
}
