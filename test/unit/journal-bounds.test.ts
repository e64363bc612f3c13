import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text as readStream } from 'node:stream/consumers';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryBytesEstimate, journalPartPaths, SessionJournal } from '../../src/main/cluster/journal.ts';
import { journalInfo } from '../../src/main/server/api.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { formatNdjsonLine, formatSession, parseJournal } from '../../src/shared/journal/session.ts';

const PEER = '127.0.0.1:7001';
const log = (text: string): JournalEvent => ({ kind: 'log', tick: 1, peer: PEER, text });

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'ringside-journal-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

describe('the journal in memory', () => {
  it('never holds more than its byte bound (nor its count), over any appends of any sizes, and keeps the newest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 200, max: 20_000 }),
        fc.array(fc.integer({ min: 0, max: 6000 }), { minLength: 1, maxLength: 300 }),
        (windowMax, windowBytesMax, lengths) => {
          const journal = new SessionJournal({ windowMax, windowBytesMax });
          for (const length of lengths) {
            journal.append(0, log('x'.repeat(length)));
            const kept = journal.entries();
            const estimated = kept.reduce((sum, entry) => sum + entryBytesEstimate(formatNdjsonLine(entry)), 0);
            expect(journal.window.bytes).toBe(estimated);
            expect(estimated).toBeLessThanOrEqual(windowBytesMax);
            expect(kept.length).toBeLessThanOrEqual(windowMax);
            // What it keeps is the newest, in order, without a gap.
            kept.forEach((entry, index) => expect(entry.seq).toBe(journal.size - kept.length + index));
            // It lets go only of what it must: one more entry would not fit.
            const before = journal.size - kept.length - 1;
            if (before >= 0 && kept.length < windowMax) {
              const next = entryBytesEstimate(formatNdjsonLine({ seq: before, at: 0, event: log('x'.repeat(lengths[before] as number)) }));
              expect(estimated + next).toBeGreaterThan(windowBytesMax);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a summary, not the value, of an old peer that still sends whole values', () => {
    const journal = new SessionJournal();
    const value = 'v'.repeat(1_048_576);
    const entry = journal.append(0, { kind: 'kv.replica', tick: 1, peer: PEER, transaction: 1, op: 'put', key: 'k', value, ok: true });
    expect(entry.event).toMatchObject({ size: 1_048_576, truncated: true });
    expect(entry.event).not.toHaveProperty('value');
    expect(journal.window.bytes).toBeLessThan(2000);
  });
});

describe('the journal on disk, capped', () => {
  it('rotates into numbered parts and keeps what is on disk under the cap, dropping the oldest part', () => {
    const path = join(folder, 'session.ndjson');
    const maxBytes = 1_048_576;
    const journal = new SessionJournal({ path, maxBytes });
    const line = 'y'.repeat(900);
    for (let index = 0; index < 6000; index++) {
      journal.append(1_795_000_000_000 + index, log(`${index} ${line}`));
      if (index % 97 === 0) {
        journal.flush();
        const onDisk = journalPartPaths(path).reduce((sum, part) => sum + statSync(part).size, 0);
        expect(onDisk).toBeLessThanOrEqual(maxBytes);
        expect(journal.recording?.bytes).toBe(onDisk);
      }
    }
    journal.flush();
    const recording = journal.recording;
    expect(recording).toMatchObject({ path, maxBytes, parts: 4 });
    expect(recording?.partsDropped).toBeGreaterThan(10);
    expect((recording?.bytes ?? 0) + (recording?.bytesDropped ?? 0)).toBe(journal.bytesWritten);
    // Parts hold whole entries, and together the newest entries, in order, up to the last.
    const parts = journalPartPaths(path);
    const dropped = recording?.partsDropped ?? 0;
    expect(parts).toEqual([`${path}.${dropped + 1}`, `${path}.${dropped + 2}`, `${path}.${dropped + 3}`, path]);
    const kept = parts.flatMap((part) => {
      const parsed = parseJournal(readFileSync(part, 'utf8'));
      expect(parsed.refusedCount).toBe(0);
      return parsed.entries.map((entry) => entry.seq);
    });
    expect(kept.at(-1)).toBe(5999);
    kept.forEach((seq, index) => expect(seq).toBe(6000 - kept.length + index));
    expect(recording?.entriesDropped).toBe(6000 - kept.length);
    // The session API tells the window the same.
    expect(journalInfo(journal)).toMatchObject({ entries: 6000, maxBytes, parts: 4, partsDropped: recording?.partsDropped, bytesOnDisk: recording?.bytes, window: { entries: 6000 } });
    journal.close();
  });

  it('exports every part kept, oldest first, as a stream and as one string alike', async () => {
    const path = join(folder, 'session.ndjson');
    const journal = new SessionJournal({ path, maxBytes: 1_048_576, windowMax: 10 });
    for (let index = 0; index < 3000; index++) journal.append(1_795_000_000_000 + index, log(`${index} ${'z'.repeat(600)}`));
    journal.flush();
    const onDisk = journalPartPaths(path).flatMap((part) => parseJournal(readFileSync(part, 'utf8')).entries);
    expect(onDisk.length).toBeGreaterThan(1000);
    for (const format of ['ndjson', 'text', 'dbg', 'shiviz'] as const) {
      const expected = formatSession(onDisk, format);
      expect(await readStream(journal.exportStream(format))).toBe(expected);
      expect(journal.export(format)).toBe(expected);
      expect(await journal.exportText(format)).toBe(expected);
    }
    journal.close();
  });

  it('exports an uncapped recording whose lines cross the reads, every entry of it', async () => {
    const path = join(folder, 'session.ndjson');
    const journal = new SessionJournal({ path, windowMax: 10 });
    for (let index = 0; index < 5000; index++) journal.append(index, log(`${index} ${'u'.repeat(index % 700)}`));
    journal.flush();
    const onDisk = parseJournal(readFileSync(path, 'utf8')).entries;
    expect(onDisk).toHaveLength(5000);
    expect(statSync(path).size).toBeGreaterThan(1_048_576);
    expect(parseJournal(journal.export('ndjson')).entries).toEqual(onDisk);
    expect(await readStream(journal.exportStream('ndjson'))).toBe(formatSession(onDisk, 'ndjson'));
    journal.close();
  });

  it('an export sees the parts as they were when it began, even when rotation deletes one meanwhile', async () => {
    const path = join(folder, 'session.ndjson');
    const journal = new SessionJournal({ path, maxBytes: 1_048_576 });
    const append = (count: number): void => {
      for (let index = 0; index < count; index++) journal.append(0, log('w'.repeat(700)));
    };
    append(2000);
    const stream = journal.exportStream('ndjson');
    const expected = journal.export('ndjson');
    const oldest = journalPartPaths(path)[0] as string;
    append(2000);
    journal.flush();
    expect(existsSync(oldest)).toBe(false);
    expect(await readStream(stream)).toBe(expected);
    journal.close();
  });

  it('says in words that one string is too long, and streams it', async () => {
    const journal = new SessionJournal({ path: join(folder, 'session.ndjson') });
    for (let index = 0; index < 100; index++) journal.append(0, log('q'.repeat(100)));
    expect(() => journal.export('text', 1000)).toThrow(/longer than 0 MiB: download it instead \(GET \/api\/export\/text/);
    await expect(journal.exportText('ndjson', 1000)).rejects.toThrow(/download it instead/);
    expect((await readStream(journal.exportStream('text'))).split('\n')).toHaveLength(101);
    journal.close();
  });

  it('counts the parts a capped journal left at the same path before, and keeps numbering after them', () => {
    const path = join(folder, 'session.ndjson');
    for (const number of [1, 2, 3, 4]) writeFileSync(`${path}.${number}`, `${formatNdjsonLine({ seq: number, at: 0, event: log('old') })}`);
    const journal = new SessionJournal({ path, maxBytes: 1_048_576 });
    // Four full parts and the current one would be five: the oldest goes.
    expect(existsSync(`${path}.1`)).toBe(false);
    expect(journal.recording).toMatchObject({ parts: 4, partsDropped: 1 });
    for (let index = 0; index < 1000; index++) journal.append(0, log('n'.repeat(400)));
    journal.flush();
    expect(existsSync(`${path}.5`)).toBe(true);
    journal.close();
  });

  it('refuses a cap too small to hold a part', () => {
    expect(() => new SessionJournal({ path: join(folder, 'session.ndjson'), maxBytes: 1000 })).toThrow('a journal size cap is at least 1 MiB');
  });
});
