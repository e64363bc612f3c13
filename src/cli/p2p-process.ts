/**
 * The entry point `ringside p2p demo` spawns for each peer: `ringside p2p` without the rest of
 * the command line (and without the bin's Node version check and re-exec). Arguments are those
 * of `ringside p2p init|join`.
 */
import { main } from './main.ts';

process.exitCode = await main(['p2p', ...process.argv.slice(2)]);
