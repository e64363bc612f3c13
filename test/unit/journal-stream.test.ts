import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDbgLog } from '../../src/shared/journal/dbg-log.ts';
import { summarizeValue, VALUE_PREVIEW_CHARS, withoutValue, type JournalEvent } from '../../src/shared/journal/events.ts';
import { JournalDecoder, readJournal, transcodeJournal } from '../../src/shared/journal/journal-stream.ts';
import { describeEvent, eventPeer, EXPORT_FORMATS, formatNdjsonLine, formatSession, isoTime, parseJournal, type ExportFormat, type SessionEntry } from '../../src/shared/journal/session.ts';

const PEERS = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '[::1]:7004'];
const peer = fc.constantFrom(...PEERS);
const tick = fc.integer({ min: 17_950_000_000, max: 17_950_000_500 });
/** Any text: quotes, backslashes, newlines, astral characters. */
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const key = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 12 }).filter((value) => [...value].every((character) => character >= ' ' && character !== '\u007f'));
const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.constant('x'.repeat(300)));

const event: fc.Arbitrary<JournalEvent> = fc.oneof(
  fc.record({ kind: fc.constant('member.added' as const), tick, peer, subject: peer }),
  fc.record({ kind: fc.constant('member.removed' as const), tick, peer, subject: peer }),
  fc.record({ kind: fc.constant('message.sent' as const), tick, peer, to: peer, type: fc.constantFrom('swim.ping', 'swim.ack', 'kv.request'), bytes: fc.nat(5000) }),
  fc.record({ kind: fc.constant('message.delivered' as const), tick, peer, from: peer, type: fc.constantFrom('swim.ping', 'swim.ack', 'kv.request') }),
  fc.record({ kind: fc.constant('fault.changed' as const), tick, description: text }),
  fc.record({ kind: fc.constant('log' as const), tick, peer, text }),
  fc
    .record({ tick, peer, transaction: fc.nat(1000), op: fc.constantFrom('create', 'read', 'update', 'delete', 'put' as const), key, value: fc.option(value, { nil: undefined }), ok: fc.boolean(), result: fc.boolean() })
    .map(({ result, value: written, ...fields }): JournalEvent => {
      const summary = summarizeValue(written);
      return result
        ? { kind: 'kv.result', ...fields, ...summary, latencyTicks: 1, replicas: [{ peer: fields.peer, ok: true }] }
        : { kind: 'kv.replica', ...fields, ...summary };
    }),
);

const journal: fc.Arbitrary<SessionEntry[]> = fc
  .array(fc.tuple(event, fc.integer({ min: 1_795_000_000_000, max: 1_795_000_100_000 })), { maxLength: 60 })
  .map((pairs) => pairs.map(([journalEvent, at], seq) => ({ seq, at, event: journalEvent })));

/** The bytes of `text` cut at the given points (which may fall inside a character). */
function chunksOf(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  return chunks;
}

/**
 * The whole-journal formatters as they were before exports streamed (issue 12), kept here as
 * the reference the streaming writers must match byte for byte.
 */
function referenceFormat(entries: readonly SessionEntry[], format: ExportFormat): string {
  switch (format) {
    case 'ndjson':
      return entries.map(formatNdjsonLine).join('');
    case 'text':
      return entries.map((entry) => `${isoTime(entry.at)}  ${eventPeer(entry.event)}  ${describeEvent(entry.event)}\n`).join('');
    case 'dbg': {
      let origin: number | undefined;
      const events: JournalEvent[] = [];
      for (const entry of entries) {
        origin ??= entry.event.tick;
        events.push({ ...entry.event, tick: Math.max(0, entry.event.tick - origin) } as JournalEvent);
      }
      return formatDbgLog(events);
    }
    case 'shiviz': {
      const clocks = new Map<string, Record<string, number>>();
      const inFlight = new Map<string, Record<string, number>[]>();
      const lines: string[] = [];
      for (const { event } of entries) {
        if (!('peer' in event)) continue;
        const host = event.peer;
        const clock = clocks.get(host) ?? {};
        clocks.set(host, clock);
        if (event.kind === 'message.delivered') {
          const sent = inFlight.get(`${event.from}>${host}>${event.type}`)?.shift();
          if (sent !== undefined) for (const [other, time] of Object.entries(sent)) clock[other] = Math.max(clock[other] ?? 0, time);
        }
        clock[host] = (clock[host] ?? 0) + 1;
        if (event.kind === 'message.sent') {
          const link = `${host}>${event.to}>${event.type}`;
          inFlight.set(link, [...(inFlight.get(link) ?? []), { ...clock }]);
        }
        lines.push(`${host} ${JSON.stringify(clock)}\n${describeEvent(event).replace(/\n/g, ' ')}\n`);
      }
      return lines.join('');
    }
  }
}

async function* asAsync(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect(pieces: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const piece of pieces) text += piece;
  return text;
}

describe('journals as streams', () => {
  it('exports any journal, cut into chunks anywhere, exactly as the whole-journal formatters did, in every format', async () => {
    await fc.assert(
      fc.asyncProperty(journal, fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom(...EXPORT_FORMATS), async (entries, cuts, format) => {
        // Parsed from NDJSON first: the whole-journal path reads the same entries the stream does.
        const ndjson = entries.map(formatNdjsonLine).join('');
        const parsed = parseJournal(ndjson).entries;
        const whole = referenceFormat(parsed, format);
        expect(formatSession(parsed, format)).toBe(whole);
        const streamed = await collect(transcodeJournal(asAsync(chunksOf(new TextEncoder().encode(ndjson), cuts)), format));
        expect(streamed).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('reads every entry back, counting and naming bad lines as the whole-text reader does', async () => {
    await fc.assert(
      fc.asyncProperty(journal, fc.array(fc.constantFrom('not json', '{"seq":1}', '', '   '), { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }), async (entries, junk, cuts) => {
        const lines = entries.map(formatNdjsonLine);
        for (const [index, line] of junk.entries()) lines.splice((index * 7) % (lines.length + 1), 0, `${line}\n`);
        const text = lines.join('');
        const decoder = new JournalDecoder();
        const read: SessionEntry[] = [];
        for await (const batch of readJournal(asAsync(chunksOf(new TextEncoder().encode(text), cuts)), decoder)) read.push(...batch);
        const whole = parseJournal(text);
        expect(read).toEqual(whole.entries);
        expect({ count: decoder.refusedCount, refused: decoder.refused }).toEqual({ count: whole.refusedCount, refused: whole.refused });
      }),
      { numRuns: 200 },
    );
  });

  it('skips a line longer than its bound without gathering it, reports it, and reads on', async () => {
    const entry = (seq: number): string => formatNdjsonLine({ seq, at: 0, event: { kind: 'log', tick: 1, peer: PEERS[0] as string, text: `line ${seq}` } });
    const long = `{"seq":1,"at":0,"event":{"kind":"log","tick":1,"peer":"p","text":"${'y'.repeat(5000)}"}}\n`;
    const bytes = new TextEncoder().encode(entry(0) + long + entry(2));
    const decoder = new JournalDecoder({ lineBytesMax: 1000 });
    const read: number[] = [];
    for (let offset = 0; offset < bytes.length; offset += 300) for (const got of decoder.push(bytes.subarray(offset, offset + 300))) read.push(got.seq);
    for (const got of decoder.end()) read.push(got.seq);
    expect(read).toEqual([0, 2]);
    expect(decoder.refused).toEqual([{ line: 2, reason: 'longer than 1000 bytes' }]);
  });

  it('keeps what it holds of a line when the caller reuses the chunk’s memory (a Buffer read into again)', () => {
    const text = Array.from({ length: 50 }, (_, seq) => formatNdjsonLine({ seq, at: 0, event: { kind: 'log', tick: 1, peer: 'p', text: `line ${seq} ${'r'.repeat(seq * 3)}` } })).join('');
    const source = Buffer.from(text);
    const reused = Buffer.alloc(97);
    const decoder = new JournalDecoder();
    const read: number[] = [];
    for (let offset = 0; offset < source.length; offset += reused.length) {
      const length = source.copy(reused, 0, offset, offset + reused.length);
      for (const entry of decoder.push(reused.subarray(0, length))) read.push(entry.seq);
    }
    expect(decoder.refusedCount).toBe(0);
    expect(read).toEqual(Array.from({ length: 50 }, (_, seq) => seq));
  });

  it('reads a last line that has no newline', () => {
    const line = formatNdjsonLine({ seq: 4, at: 0, event: { kind: 'log', tick: 1, peer: 'p', text: 'last' } }).trimEnd();
    const decoder = new JournalDecoder();
    expect(decoder.push(new TextEncoder().encode(line))).toEqual([]);
    expect(decoder.end().map((entry) => entry.seq)).toEqual([4]);
  });
});

describe('values in journal events', () => {
  it('carry their size in bytes, their version and a preview of 64 characters, marked when cut', () => {
    const version = { tick: 5, counter: 0, peer: PEERS[0] as string };
    expect(summarizeValue('hello', false, version)).toEqual({ size: 5, preview: 'hello', version });
    const large = 'é'.repeat(1_048_576);
    expect(summarizeValue(large)).toEqual({ size: 2 * 1_048_576, preview: 'é'.repeat(VALUE_PREVIEW_CHARS), truncated: true });
    expect(summarizeValue(undefined)).toEqual({});
    // Binary values are base64: the size is the decoded bytes.
    expect(summarizeValue('AAECAw==', true)).toEqual({ size: 4, preview: 'AAECAw==', binary: true });
  });

  it('never cut a character in two', () => {
    const value = `${'a'.repeat(VALUE_PREVIEW_CHARS - 1)}😀 and more`;
    const summary = summarizeValue(value);
    expect(summary.preview).toBe('a'.repeat(VALUE_PREVIEW_CHARS - 1));
    expect(summary.truncated).toBe(true);
  });

  it('old journals that carry whole values still read; their values print whole in dbg.log, and become previews when kept', () => {
    const old = `{"seq":0,"at":1795000000000,"event":{"kind":"kv.result","tick":100,"peer":"1.0.0.0:0","transaction":7,"op":"create","key":"abc12","value":"${'v'.repeat(100)}","ok":true,"latencyTicks":2,"replicas":[]}}\n`;
    const parsed = parseJournal(old);
    expect(parsed.refusedCount).toBe(0);
    expect(formatSession(parsed.entries, 'dbg')).toBe(`131\n\n 1.0.0.0:0 [0] coordinator: create success at time 0, transID=7, key=abc12, value=${'v'.repeat(100)}`);
    const kept = withoutValue((parsed.entries[0] as SessionEntry).event);
    expect(kept).toMatchObject({ size: 100, preview: 'v'.repeat(VALUE_PREVIEW_CHARS), truncated: true });
    expect(kept).not.toHaveProperty('value');
    // A new event's long value is its preview and an ellipsis in dbg.log; a short one is whole.
    const entries: SessionEntry[] = [{ seq: 0, at: 0, event: kept }];
    expect(formatSession(entries, 'dbg')).toMatch(new RegExp(`value=${'v'.repeat(VALUE_PREVIEW_CHARS)}…$`));
  });
});
