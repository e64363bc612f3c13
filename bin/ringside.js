#!/usr/bin/env node
// The `ringside` command. It runs the TypeScript sources directly with Node's type stripping
// (on by default from Node 22.18); older Node 22 releases get the flag through a child process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`ringside needs Node.js 22.12 or newer; this is ${process.version}.\n`);
  process.exit(2);
}

if (process.features.typescript) {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  const entry = fileURLToPath(new URL('./ringside.js', import.meta.url));
  const child = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', entry, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exitCode = child.status ?? 1;
}
