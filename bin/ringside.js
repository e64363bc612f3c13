#!/usr/bin/env node
// The `ringside` command. It runs the TypeScript sources directly with Node's type stripping
// (on by default from Node 22.18); older Node 22 releases get the flag through a child process.
// On an older Node (20 is still many systems' default) it runs itself again with the Node 22
// that `npm install` brought into this checkout (node_modules/.bin/node), so the command works
// the same through npx, npm link or a global install, from any folder.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(import.meta.url);
/** Runs this command again under `node`; resolves with its exit status. */
const run = (node, flags) =>
  new Promise((resolve) => {
    const child = spawn(node, [...flags, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
    // Ctrl-C reaches the child from the terminal (it stops its peers gracefully): wait for it.
    // A signal sent to this process alone is passed on.
    const forward = (signal) => (signal === 'SIGINT' ? undefined : child.kill(signal));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
    child.once('error', (error) => {
      process.stderr.write(`ringside: could not run ${node}: ${error.message}\n`);
      resolve(1);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  const bundled = fileURLToPath(new URL(`../node_modules/node/bin/node${process.platform === 'win32' ? '.exe' : ''}`, import.meta.url));
  if (existsSync(bundled) && process.env.RINGSIDE_REEXEC !== '1') {
    process.env.RINGSIDE_REEXEC = '1';
    process.exitCode = await run(bundled, []);
  } else {
    process.stderr.write(`ringside needs Node.js 22.12 or newer; this is ${process.version}. Run npm install in ${fileURLToPath(new URL('..', import.meta.url))}: it brings Node 22 from the npm registry.\n`);
    process.exit(2);
  }
} else if (process.features.typescript) {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  process.exitCode = await run(process.execPath, ['--experimental-strip-types', '--no-warnings']);
}
