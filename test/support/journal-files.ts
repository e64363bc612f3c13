/**
 * Journals of a chosen size for tests and measurements: a plausible mix of messages, key-value
 * operations, membership changes and log lines, written a block at a time (never held whole).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { summarizeValue } from '../../src/shared/journal/events.ts';
import { formatNdjsonLine, type SessionEntry } from '../../src/shared/journal/session.ts';

const PEERS = ['127.0.0.1:7101', '127.0.0.1:7102', '127.0.0.1:7103', '127.0.0.1:7104', '127.0.0.1:7105'];

export function syntheticEntry(seq: number): SessionEntry {
  const peer = PEERS[seq % PEERS.length] as string;
  const other = PEERS[(seq * 7 + 3) % PEERS.length] as string;
  const tick = 17_950_000_000 + Math.floor(seq / 10);
  let event: JournalEvent;
  switch (seq % 6) {
    case 0:
      event = { kind: 'message.sent', tick, peer, to: other, type: 'swim.ping', bytes: 120 + (seq % 50) };
      break;
    case 1:
      event = { kind: 'message.delivered', tick, peer, from: PEERS[(seq - 1) % PEERS.length] as string, type: 'swim.ping' };
      break;
    case 2:
      event = { kind: 'kv.replica', tick, peer, transaction: seq, op: 'put', key: `key${seq % 10_000}`, ...summarizeValue(`value ${seq} ${'v'.repeat(seq % 200)}`, false, { tick, counter: 0, peer }), ok: true };
      break;
    case 3:
      event = { kind: 'kv.result', tick, peer, transaction: seq, op: 'read', key: `key${seq % 10_000}`, ok: true, latencyTicks: 1, latencyMs: 2.5, replicas: [{ peer: other, ok: true }] };
      break;
    case 4:
      event = { kind: 'member.suspected', tick, peer, subject: other, incarnation: seq % 5 };
      break;
    default:
      event = { kind: 'log', tick, peer, text: `synthetic line ${seq}` };
  }
  return { seq, at: 1_795_000_000_000 + seq, event };
}

/** Writes entries to `path` until it holds at least `bytes`; returns how many entries. */
export function writeJournalFile(path: string, bytes: number): number {
  const fd = openSync(path, 'w');
  let written = 0;
  let seq = 0;
  try {
    while (written < bytes) {
      const block: string[] = [];
      for (let index = 0; index < 5000; index++) block.push(formatNdjsonLine(syntheticEntry(seq++)));
      const buffer = Buffer.from(block.join(''));
      writeSync(fd, buffer);
      written += buffer.length;
    }
  } finally {
    closeSync(fd);
  }
  return seq;
}
