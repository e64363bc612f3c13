/**
 * The entry point a cluster manager spawns for each peer: `ringside peer` without the rest of
 * the command line (and without the bin's Node version check and re-exec). Arguments are those
 * of `ringside peer`; or `dht <launch json>` for a circular DHT peer (`peer/dht/launch.ts`), so
 * one built entry serves both cluster kinds.
 */
import { DHT_LAUNCH_ARGUMENT } from '../peer/dht/launch.ts';
import { runManagedDhtPeer } from '../peer/dht/managed-peer.ts';
import { main } from './main.ts';
import { processIo } from './io.ts';

const args = process.argv.slice(2);
process.exitCode = args[0] === DHT_LAUNCH_ARGUMENT ? await runManagedDhtPeer(args.slice(1), processIo) : await main(['peer', ...args]);
