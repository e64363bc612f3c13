/** Parsers for command-line values: each throws a one-line InvalidArgumentError. */
import { InvalidArgumentError } from 'commander';
import type { DelayModel } from '../shared/sim/network.ts';

const SEED_MAX = Number.MAX_SAFE_INTEGER;
const SEEDS_IN_A_SWEEP_MAX = 100_000;
const DELAY_TICKS_MAX = 1000;

export function parseSeed(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > SEED_MAX) {
    throw new InvalidArgumentError(`a seed is a whole number from 0 to ${SEED_MAX}.`);
  }
  return Number(text);
}

/** `A-B`, both included, or a single seed. */
export function parseSeedRange(text: string): { first: number; last: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (match === null) throw new InvalidArgumentError('seeds are a range such as 1-100.');
  const first = parseSeed(match[1] as string);
  const last = parseSeed(match[2] ?? (match[1] as string));
  if (last < first) throw new InvalidArgumentError(`the range ${text} is empty.`);
  if (last - first + 1 > SEEDS_IN_A_SWEEP_MAX) {
    throw new InvalidArgumentError(`at most ${SEEDS_IN_A_SWEEP_MAX} seeds in one sweep.`);
  }
  return { first, last };
}

/** `N` (constant) or `MIN-MAX` (uniform), in ticks, at least 1. */
export function parseDelay(text: string): DelayModel {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  const min = Number(match?.[1]);
  const max = Number(match?.[2] ?? match?.[1]);
  if (match === null || min < 1 || max < min || max > DELAY_TICKS_MAX) {
    throw new InvalidArgumentError(`a delay is N or MIN-MAX ticks, with 1 <= MIN <= MAX <= ${DELAY_TICKS_MAX}.`);
  }
  return min === max ? { kind: 'constant', ticks: min } : { kind: 'uniform', minTicks: min, maxTicks: max };
}

/** `HOST:PORT` (IPv6 in brackets: `[::1]:7001`), port 0-65535. */
export function parseAddress(text: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[2]);
  if (match === null || port > 65_535) throw new InvalidArgumentError(`'${text}' is not HOST:PORT (such as 127.0.0.1:7001).`);
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

/** A peer's address to join or reach: HOST:PORT with a port from 1. */
export function parsePeerAddress(text: string): string {
  const { host, port } = parseAddress(text);
  if (port === 0) throw new InvalidArgumentError(`'${text}': a peer's port is 1-65535.`);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535) throw new InvalidArgumentError(`'${text}' is not a port (0-65535, 0: any free port).`);
  return Number(text);
}

export function parseTickMs(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 60_000) throw new InvalidArgumentError('a tick is 1-60000 ms.');
  return Number(text);
}

/** `serve` may start with no peer: the window starts them. */
export function parseServePeerCount(text: string): number {
  if (text === '0') return 0;
  return parsePeerCount(text);
}

export function parsePeerCount(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 64) throw new InvalidArgumentError('a cluster has 1 to 64 peers.');
  return Number(text);
}

/** A circular DHT peer's identity: 0-255, as the classroom's. */
export function parseIdentity(text: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) throw new InvalidArgumentError(`'${text}' is not a peer: a peer is a whole number from 0 to 255.`);
  return Number(text);
}

/** A ping interval in seconds, as the classroom gives it: a positive number (fractions allowed), at most a day. */
export function parsePingInterval(text: string): number {
  const seconds = Number(text);
  if (!/^\d*\.?\d+$/.test(text) || !(seconds > 0) || seconds > 86_400) {
    throw new InvalidArgumentError(`'${text}' is not a ping interval: a positive number of seconds (such as 30 or 0.5), at most 86400.`);
  }
  return seconds;
}

/** The port of DHT peer 0; peer i listens on base + i, so the base leaves room for 255 more. */
export function parsePortBase(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65_535 - 255) {
    throw new InvalidArgumentError(`'${text}' is not a port base: 1 to ${65_535 - 255} (peer i listens on base + i).`);
  }
  return Number(text);
}

/** A size in whole MiB for a journal's bounds: `--journal-max-mb` (on disk), `--journal-window-mb` (in memory). */
export function parseMegabytes(text: string): number {
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`'${text}' is not a size in MiB (a whole number, at least 1).`);
  return Number(text);
}
