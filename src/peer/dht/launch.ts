/**
 * How a cluster manager launches a circular DHT peer: the peer entry (`cli/peer-process.ts`) with
 * the arguments `dht <json>`, the JSON checked here on both sides. The shared secret comes as for
 * every spawned peer (RINGSIDE_SECRET); the peer enters the ring when its control client says
 * `begin`.
 */
import { z } from 'zod';
import { identitySchema } from '../../shared/protocol/dht.ts';

/** The first argument that makes the peer entry a DHT peer. */
export const DHT_LAUNCH_ARGUMENT = 'dht';

/** A launched DHT peer's exit status when its port is taken: its manager may pick another port base. */
export const EXIT_PORT_IN_USE = 3;

export const dhtLaunchSchema = z.object({
  identity: identitySchema,
  /** Every peer of the ring listens on `host`:`portBase + identity`. */
  host: z.string().min(1).max(255),
  portBase: z.number().int().min(1).max(65_535 - 255),
  tickMs: z.number().int().min(10).max(10_000),
  pingIntervalTicks: z.number().int().min(1).max(1_000_000),
  /** Beyond the classroom: Chord finger tables. */
  fingers: z.boolean(),
  /** The working folder (it must exist): files held (`NNNN.ext`) and received (`received_NNNN.ext`). */
  folder: z.string().min(1).max(4096),
});
export type DhtLaunch = z.infer<typeof dhtLaunchSchema>;

export function dhtLaunchArgs(launch: DhtLaunch): string[] {
  return [DHT_LAUNCH_ARGUMENT, JSON.stringify(dhtLaunchSchema.parse(launch))];
}

/** The launch in the peer's arguments (after `dht`), or what is wrong with them. */
export function parseDhtLaunch(args: readonly string[]): { launch: DhtLaunch } | { problem: string } {
  if (args.length !== 1) return { problem: `a DHT peer takes one argument (its launch, as JSON), got ${args.length}` };
  let value: unknown;
  try {
    value = JSON.parse(args[0] as string);
  } catch {
    return { problem: 'the launch is not JSON' };
  }
  const parsed = dhtLaunchSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `invalid launch: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim() };
  }
  return { launch: parsed.data };
}
