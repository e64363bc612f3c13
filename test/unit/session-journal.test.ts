import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { describeEvent, formatSession, formatShiVizLog, isoTime, parseJournal, SHIVIZ_REGEX, type SessionEntry } from '../../src/shared/journal/session.ts';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';

function entries(events: JournalEvent[]): SessionEntry[] {
  return events.map((event, seq) => ({ seq, at: 1_795_000_000_000 + seq * 10, event }));
}

const session = entries([
  { kind: 'member.added', tick: 1000, peer: A, subject: A },
  { kind: 'message.sent', tick: 1001, peer: A, to: B, type: 'swim.ping', bytes: 40 },
  { kind: 'message.sent', tick: 1001, peer: A, to: B, type: 'swim.ping', bytes: 40 },
  { kind: 'message.delivered', tick: 1002, peer: B, from: A, type: 'swim.ping' },
  { kind: 'message.sent', tick: 1002, peer: B, to: A, type: 'swim.ack', bytes: 30 },
  { kind: 'message.delivered', tick: 1003, peer: A, from: B, type: 'swim.ack' },
  { kind: 'fault.changed', tick: 1003, description: 'loss 0.1' },
  { kind: 'member.removed', tick: 1050, peer: A, subject: B },
]);

describe('session exports', () => {
  it('gives each host a vector clock that merges the sender’s clock at each delivery (ShiViz)', () => {
    const lines = formatShiVizLog(session).trimEnd().split('\n');
    const regex = new RegExp(SHIVIZ_REGEX);
    const pairs: { host: string; clock: Record<string, number>; event: string }[] = [];
    for (let index = 0; index < lines.length; index += 2) {
      const match = regex.exec(`${lines[index]}\n${lines[index + 1]}`);
      expect(match?.groups).toBeDefined();
      pairs.push({ host: match?.groups?.['host'] as string, clock: JSON.parse(match?.groups?.['clock'] as string), event: match?.groups?.['event'] as string });
    }
    // The cluster-wide fault change happens at no host and is left out.
    expect(pairs).toHaveLength(7);
    expect(pairs[0]).toEqual({ host: A, clock: { [A]: 1 }, event: `${A} joined (as ${A} sees it)` });
    // B's delivery is matched with A's first ping (clock A:2), not the second.
    expect(pairs[3]).toEqual({ host: B, clock: { [A]: 2, [B]: 1 }, event: `received swim.ping from ${A}` });
    expect(pairs[5]?.clock).toEqual({ [A]: 4, [B]: 2 });
  });

  it('writes the classroom dbg.log with ticks counted from the session’s start', () => {
    const dbg = formatSession(session, 'dbg');
    expect(dbg).toBe(`131\n\n ${A} [0] Node ${A} joined at time 0\n ${A} [50] Node ${B} removed at time 50`);
  });

  it('writes a plain-text log with UTC times, and reads a journal back, reporting bad lines', () => {
    const text = formatSession(session, 'text').split('\n');
    expect(text[7]).toBe(`${isoTime(session[7]?.at as number)}  ${A}  removed ${B}: failed`);
    const ndjson = formatSession(session, 'ndjson');
    const parsed = parseJournal(`${ndjson}not json\n{"seq":1}\n\n`);
    expect(parsed.entries).toEqual(session);
    expect(parsed.refusedCount).toBe(2);
    expect(parsed.refused.map((line) => line.line)).toEqual([9, 10]);
  });

  it('has words for every kind of event', () => {
    for (const { event } of session) expect(describeEvent(event).length).toBeGreaterThan(3);
    expect(describeEvent({ kind: 'process.exited', tick: 1, peer: A, pid: 9, code: null, signal: 'SIGKILL', expected: false })).toBe('process 9 exited on SIGKILL unexpectedly');
  });

  it('formats times as ISO 8601 without reading a clock', () => {
    expect(isoTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(isoTime(951_782_400_123)).toBe('2000-02-29T00:00:00.123Z');
    expect(isoTime(1_795_267_867_174)).toBe(new Date(1_795_267_867_174).toISOString());
  });
});
