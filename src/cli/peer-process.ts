/**
 * The entry point a cluster manager spawns for each peer: `ringside peer` without the rest of
 * the command line (and without the bin's Node version check and re-exec). Arguments are those
 * of `ringside peer`.
 */
import { main } from './main.ts';

process.exitCode = await main(['peer', ...process.argv.slice(2)]);
