#!/usr/bin/env node
// Runs before `npm start`, `npm test` and after `npm install` (package.json's scripts), under
// whatever `node` npm found first on PATH. `npm install` brings Node 22 from the npm registry
// (the `node` dev dependency: node_modules/.bin/node), and npm puts node_modules/.bin first on
// the PATH of every script, so this is normally that Node 22 whatever the machine's own is.
// Plain JavaScript that any Node parses: its job is to stop at once, in one line, where a longer
// run would end in a crash minutes later (vitest on Node 20 runs 13 minutes, then fails in its
// reporter).
//
//   node scripts/check-node.js                  exit 1 with one line unless Node >= 22.12
//   node scripts/check-node.js --after-install  explain npm's EBADENGINE warnings, never fail
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NEEDED = [22, 12];
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function atLeast(version, [major, minor]) {
  const [actualMajor, actualMinor] = version.replace(/^v/, '').split('.').map(Number);
  return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

if (process.argv.includes('--after-install')) {
  // npm checks every package's `engines` against the Node npm itself runs on, not the one the
  // scripts run on, so on an older Node it warns once per package that needs 22 (EBADENGINE).
  const npmNode = /\bnode\/(v[\d.]+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];
  if (npmNode !== undefined && !atLeast(npmNode, NEEDED) && atLeast(process.version, NEEDED)) {
    process.stdout.write(
      `ringside: npm ran on Node ${npmNode}, so it warned (EBADENGINE) about the packages that need Node 22; ` +
        `they are fine: npm start, npm test and npx ringside run on the Node ${process.version} this install brought (node_modules/.bin/node).\n`,
    );
  }
} else if (!atLeast(process.version, NEEDED)) {
  const bundled = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
  const hint = existsSync(bundled)
    ? `run it through npm (npm start, npm test) or with ${bundled}`
    : 'run npm install first: it brings Node 22 from the npm registry (the `node` dev dependency)';
  process.stderr.write(`ringside needs Node.js ${NEEDED.join('.')} or newer and this is ${process.version}: ${hint}.\n`);
  process.exit(1);
}
