import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll } from 'vitest';

// In CI every property explores the same cases, so a red run can always be replayed; on a
// developer's machine each run explores new ones (a failure prints the seed that replays it).
if (process.env['CI']) fc.configureGlobal({ seed: 20_261_121 });

// Each test file keeps the secrets its peers and managers record (see src/peer/secret.ts) in a
// registry folder of its own, removed when it ends, never in the user's.
const registry = mkdtempSync(join(tmpdir(), 'ringside-test-registry-'));
process.env['RINGSIDE_RUNTIME_DIR'] = registry;
afterAll(() => rmSync(registry, { recursive: true, force: true }));
