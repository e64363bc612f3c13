import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DBG_LOG_MAGIC, dbgEntry, dbgText, formatDbgLog } from '../../src/shared/journal/dbg-log.ts';
import type { JournalEvent } from '../../src/shared/journal/events.ts';
import { parseDbgLog } from '../../src/shared/check/membership-grader.ts';

const address = (k: number): string => `${k}.0.0.0:0`;

describe('dbg.log', () => {
  it("has the magic line '131', the hex sum of the char codes of CS425", () => {
    expect(DBG_LOG_MAGIC).toBe('131');
  });

  it('gives "131\\n" for an empty journal', () => {
    expect(formatDbgLog([])).toBe('131\n');
  });

  it('writes a joined line as a newline, a space, the address, [tick] and the text', () => {
    const events: JournalEvent[] = [{ kind: 'member.added', tick: 2, peer: address(4), subject: address(1) }];
    expect(formatDbgLog(events)).toBe('131\n\n 4.0.0.0:0 [2] Node 1.0.0.0:0 joined at time 2');
  });

  it('writes removed for both member.removed and member.left', () => {
    const events: JournalEvent[] = [
      { kind: 'member.removed', tick: 121, peer: address(2), subject: address(7), incarnation: 3 },
      { kind: 'member.left', tick: 130, peer: address(3), subject: address(8), heartbeat: 40 },
    ];
    expect(formatDbgLog(events)).toBe(
      '131\n\n 2.0.0.0:0 [121] Node 7.0.0.0:0 removed at time 121\n 3.0.0.0:0 [130] Node 8.0.0.0:0 removed at time 130',
    );
  });

  it('copies log events verbatim', () => {
    const events: JournalEvent[] = [
      { kind: 'log', tick: 100, peer: address(3), text: 'Node failed at time=100' },
      { kind: 'log', tick: 100, peer: address(4), text: 'Node failed at time = 100' },
      { kind: 'log', tick: 5, peer: address(1), text: '  two  spaces [x] ' },
    ];
    expect(formatDbgLog(events)).toBe(
      '131\n\n 3.0.0.0:0 [100] Node failed at time=100\n 4.0.0.0:0 [100] Node failed at time = 100\n 1.0.0.0:0 [5]   two  spaces [x] ',
    );
  });

  it('omits every other kind of event', () => {
    const events: JournalEvent[] = [
      { kind: 'member.suspected', tick: 1, peer: address(1), subject: address(2) },
      { kind: 'member.alive', tick: 1, peer: address(1), subject: address(2) },
      { kind: 'peer.started', tick: 0, peer: address(1) },
      { kind: 'peer.crashed', tick: 100, peer: address(1) },
      { kind: 'peer.restarted', tick: 101, peer: address(1) },
      { kind: 'peer.left', tick: 102, peer: address(1) },
      { kind: 'message.sent', tick: 1, peer: address(1), to: address(2), type: 'swim.ping', bytes: 60 },
      { kind: 'message.delivered', tick: 2, peer: address(2), from: address(1), type: 'swim.ping' },
      { kind: 'message.dropped', tick: 1, peer: address(1), to: address(2), type: 'swim.ping', reason: 'loss' },
      { kind: 'message.rejected', tick: 2, peer: address(2), from: address(1), reason: 'malformed', detail: 'x' },
      { kind: 'fault.changed', tick: 50, description: 'loss 10 %' },
    ];
    expect(formatDbgLog(events)).toBe('131\n');
    for (const event of events) expect(dbgText(event)).toBeUndefined();
  });

  it('keeps journal order and interleaves the kinds it writes with those it omits', () => {
    const events: JournalEvent[] = [
      { kind: 'member.added', tick: 0, peer: address(1), subject: address(1) },
      { kind: 'peer.started', tick: 0, peer: address(2) },
      { kind: 'member.added', tick: 1, peer: address(1), subject: address(2) },
      { kind: 'log', tick: 100, peer: address(2), text: 'Node failed at time=100' },
      { kind: 'member.suspected', tick: 105, peer: address(1), subject: address(2) },
      { kind: 'member.removed', tick: 120, peer: address(1), subject: address(2) },
    ];
    expect(formatDbgLog(events)).toBe(
      [
        '131\n',
        '\n 1.0.0.0:0 [0] Node 1.0.0.0:0 joined at time 0',
        '\n 1.0.0.0:0 [1] Node 2.0.0.0:0 joined at time 1',
        '\n 2.0.0.0:0 [100] Node failed at time=100',
        '\n 1.0.0.0:0 [120] Node 2.0.0.0:0 removed at time 120',
      ].join(''),
    );
  });

  it('never ends with a newline once it has an entry', () => {
    const text = formatDbgLog([{ kind: 'member.added', tick: 9, peer: address(10), subject: address(9) }]);
    expect(text.endsWith('\n')).toBe(false);
    expect(text.split('\n')).toEqual(['131', '', ' 10.0.0.0:0 [9] Node 9.0.0.0:0 joined at time 9']);
  });

  it('accepts any iterable, such as a generator', () => {
    function* journal(): Generator<JournalEvent> {
      yield { kind: 'member.added', tick: 3, peer: address(5), subject: address(6) };
    }
    expect(formatDbgLog(journal())).toBe('131\n\n 5.0.0.0:0 [3] Node 6.0.0.0:0 joined at time 3');
  });

  it('writes a single entry as " ADDRESS [TICK] TEXT"', () => {
    expect(dbgEntry('127.0.0.1:7001', 42, 'hello world')).toBe(' 127.0.0.1:7001 [42] hello world');
  });

  // Log::LOG (the MP2 template's Log.cpp, github.com/peteshaw/icc2-mp2 at 98769f2) writes
  // "\n %s" with the address and its space, then "[%d] ", then the text; the call that opens the
  // file leaves the address empty. Every dbg.log the template wrote begins "131\n\n [0] APP".
  it('writes an entry without an address as one space, [TICK] and the text, as the template did', () => {
    expect(dbgEntry('', 0, 'APP')).toBe(' [0] APP');
  });

  it('writes the first entry without its address when asked, and only the first', () => {
    const events: JournalEvent[] = [
      { kind: 'log', tick: 0, peer: address(1), text: 'APP' },
      { kind: 'log', tick: 0, peer: address(2), text: 'APP' },
      { kind: 'member.added', tick: 1, peer: address(1), subject: address(2) },
    ];
    expect(formatDbgLog(events, { firstEntryWithoutAddress: true })).toBe(
      '131\n\n [0] APP\n 2.0.0.0:0 [0] APP\n 1.0.0.0:0 [1] Node 2.0.0.0:0 joined at time 1',
    );
    expect(formatDbgLog(events)).toBe('131\n\n 1.0.0.0:0 [0] APP\n 2.0.0.0:0 [0] APP\n 1.0.0.0:0 [1] Node 2.0.0.0:0 joined at time 1');
  });

  it('gives the first written entry the quirk, not an omitted event before it', () => {
    const events: JournalEvent[] = [
      { kind: 'peer.started', tick: 0, peer: address(1) },
      { kind: 'log', tick: 0, peer: address(1), text: 'APP' },
    ];
    expect(formatDbgLog(events, { firstEntryWithoutAddress: true })).toBe('131\n\n [0] APP');
    expect(formatDbgLog([], { firstEntryWithoutAddress: true })).toBe('131\n');
  });

  it('parses the entry without an address back with an empty address', () => {
    const text = formatDbgLog(
      [
        { kind: 'log', tick: 0, peer: address(1), text: 'APP' },
        { kind: 'log', tick: 0, peer: address(1), text: 'APP MP2' },
      ],
      { firstEntryWithoutAddress: true },
    );
    expect(parseDbgLog(text).map((entry) => [entry.address, entry.tick, entry.text, entry.line])).toEqual([
      ['', 0, 'APP', '[0] APP'],
      [address(1), 0, 'APP MP2', '1.0.0.0:0 [0] APP MP2'],
    ]);
  });

  it('writes member lines that the grader parses back to the same observer, tick and subject', () => {
    const memberEvent = fc.record({
      kind: fc.constantFrom('member.added' as const, 'member.removed' as const, 'member.left' as const),
      tick: fc.nat(),
      peer: fc.integer({ min: 1, max: 99 }).map(address),
      subject: fc.integer({ min: 1, max: 99 }).map(address),
    });
    fc.assert(
      fc.property(fc.array(memberEvent, { maxLength: 20 }), (events) => {
        const entries = parseDbgLog(formatDbgLog(events));
        expect(entries.map((entry) => [entry.address, entry.tick])).toEqual(events.map((event) => [event.peer, event.tick]));
        expect(entries.map((entry) => entry.text)).toEqual(
          events.map(
            (event) => `Node ${event.subject} ${event.kind === 'member.added' ? 'joined' : 'removed'} at time ${event.tick}`,
          ),
        );
      }),
      { numRuns: 100 },
    );
  });
});
