import { describe, expect, it } from 'vitest';
import { ednString, historyToJepsenEdn, historyToPorcupineJson, howToCheckExport, KNOSSOS_ALL_KEYS_SCRIPT, PORCUPINE_PROGRAM } from '../../src/shared/check/history-export.ts';
import { registerHistoryFromJson, registerHistoryToJson } from '../../src/shared/check/register-history.ts';
import { historyOf, read, remove, write } from './check-histories.ts';

// Two clients on two keys: a read answered at the instant its client sends a write (which then
// times out), a failed read, a value that needs escaping, and a delete after the timeout.
const history = historyOf(
  write(0, 'k', 'A', 0, 1.5),
  read(1, 'k', 'A', 1, 2),
  write(1, 'k', 'B', 2, 3, 'info'),
  read(0, 'j', undefined, 2, 2.5, 'fail'),
  write(0, 'j', 'say "hi"\n\\ \u0001 é', 3, 4),
  remove(1, 'k', 4, 5),
);

describe('the Jepsen EDN export', () => {
  it('writes every key as [key value] tuples, one entry per line in time order, with crashed processes renumbered', () => {
    expect(historyToJepsenEdn(history)).toBe(
      [
        '{:index 0, :time 0, :type :invoke, :process 0, :f :write, :value ["k" "A"]}',
        '{:index 1, :time 1000000, :type :invoke, :process 1, :f :read, :value ["k" nil]}',
        '{:index 2, :time 1500000, :type :ok, :process 0, :f :write, :value ["k" "A"]}',
        '{:index 3, :time 2000000, :type :invoke, :process 0, :f :read, :value ["j" nil]}',
        '{:index 4, :time 2000000, :type :ok, :process 1, :f :read, :value ["k" "A"]}',
        '{:index 5, :time 2000000, :type :invoke, :process 1, :f :write, :value ["k" "B"]}',
        '{:index 6, :time 2500000, :type :fail, :process 0, :f :read, :value ["j" nil], :error "timeout"}',
        '{:index 7, :time 3000000, :type :invoke, :process 0, :f :write, :value ["j" "say \\"hi\\"\\n\\\\ \\u0001 é"]}',
        '{:index 8, :time 3000000, :type :info, :process 1, :f :write, :value ["k" "B"], :error "timeout"}',
        '{:index 9, :time 4000000, :type :invoke, :process 3, :f :write, :value ["k" nil]}',
        '{:index 10, :time 4000000, :type :ok, :process 0, :f :write, :value ["j" "say \\"hi\\"\\n\\\\ \\u0001 é"]}',
        '{:index 11, :time 5000000, :type :ok, :process 3, :f :write, :value ["k" nil]}',
        '',
      ].join('\n'),
    );
  });

  it('writes one key alone with plain values, for the command-line checkers', () => {
    expect(historyToJepsenEdn(history, { key: 'k' })).toBe(
      [
        '{:index 0, :time 0, :type :invoke, :process 0, :f :write, :value "A"}',
        '{:index 1, :time 1000000, :type :invoke, :process 1, :f :read, :value nil}',
        '{:index 2, :time 1500000, :type :ok, :process 0, :f :write, :value "A"}',
        '{:index 3, :time 2000000, :type :ok, :process 1, :f :read, :value "A"}',
        '{:index 4, :time 2000000, :type :invoke, :process 1, :f :write, :value "B"}',
        '{:index 5, :time 3000000, :type :info, :process 1, :f :write, :value "B", :error "timeout"}',
        '{:index 6, :time 4000000, :type :invoke, :process 3, :f :write, :value nil}',
        '{:index 7, :time 5000000, :type :ok, :process 3, :f :write, :value nil}',
        '',
      ].join('\n'),
    );
  });

  it('escapes strings as EDN reads them', () => {
    expect(ednString('plain')).toBe('"plain"');
    expect(ednString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(ednString('tab\there\r\n')).toBe('"tab\\there\\r\\n"');
    expect(ednString('\u0000\u001f\u007f')).toBe('"\\u0000\\u001f\\u007f"');
    expect(ednString('ünï 😀')).toBe('"ünï 😀"');
    expect(ednString('lone \ud800 half')).toBe('"lone \\ud800 half"');
  });

  it('tells how to check the files, with the commands the tools document', () => {
    const text = howToCheckExport('jepsen-edn');
    expect(text).toContain('lein run --model register history-<key>.edn');
    expect(text).toContain('java -jar target/elle-cli-0.1.9-standalone.jar --model cas-register history-<key>.edn');
    expect(text).toContain(KNOSSOS_ALL_KEYS_SCRIPT);
  });
});

describe('the Porcupine JSON export', () => {
  it('writes porcupine.Operation records, without failed operations, and an open end for unanswered updates', () => {
    const text = historyToPorcupineJson(history);
    expect(text).toContain('"return":9223372036854775807');
    const operations = JSON.parse(text) as unknown[];
    expect(operations).toEqual([
      { clientId: 0, input: { op: 'write', key: 'k', value: 'A' }, call: 0, output: { value: null, exists: false }, return: 1_500_000 },
      { clientId: 1, input: { op: 'read', key: 'k', value: null }, call: 1_000_000, output: { value: 'A', exists: true }, return: 2_000_000 },
      // 9223372036854775807 (2^63 - 1) is not a double: JavaScript reads it as the nearest, 2^63.
      { clientId: 1, input: { op: 'write', key: 'k', value: 'B' }, call: 2_000_000, output: { value: null, exists: false }, return: 2 ** 63 },
      { clientId: 0, input: { op: 'write', key: 'j', value: 'say "hi"\n\\ \u0001 é' }, call: 3_000_000, output: { value: null, exists: false }, return: 4_000_000 },
      { clientId: 1, input: { op: 'delete', key: 'k', value: null }, call: 4_000_000, output: { value: null, exists: false }, return: 5_000_000 },
    ]);
  });

  it('writes an empty array for an empty history, and tells how to check the file with a Go program', () => {
    expect(JSON.parse(historyToPorcupineJson(historyOf()))).toEqual([]);
    expect(howToCheckExport('porcupine-json')).toContain(PORCUPINE_PROGRAM);
    expect(PORCUPINE_PROGRAM).toContain('porcupine.CheckOperations(model, history)');
  });
});

describe('saved histories', () => {
  it('read back what was saved', () => {
    expect(registerHistoryFromJson(registerHistoryToJson(history))).toEqual(history);
  });

  it('refuse text that is not JSON, or not a valid history, with a readable reason', () => {
    expect(() => registerHistoryFromJson('{')).toThrow(/not JSON/);
    expect(() => registerHistoryFromJson('{"operations":[{"id":1}]}')).toThrow(/not valid/);
    const overlapping = { operations: [write(1, 'k', 'A', 0, 10), write(1, 'k', 'B', 5, 20)].map((operation, id) => ({ id, ...operation })) };
    expect(() => registerHistoryFromJson(JSON.stringify(overlapping))).toThrow(/client 1 sent operation 1 at 5 ms, before operation 0 ended at 10 ms/);
    const misnumbered = { operations: [{ id: 3, ...write(1, 'k', 'A', 0, 10) }] };
    expect(() => registerHistoryFromJson(JSON.stringify(misnumbered))).toThrow(/operation 0 has id 3/);
  });

  it('refuse a write without its value, a delete with one, a failed read with one and time running backwards', () => {
    const invalid = [
      { id: 0, process: 1, kind: 'write', key: 'k', outcome: 'ok', invokeMs: 0, completeMs: 1 },
      { id: 0, process: 1, kind: 'delete', key: 'k', value: 'A', outcome: 'ok', invokeMs: 0, completeMs: 1 },
      { id: 0, process: 1, kind: 'read', key: 'k', value: 'A', outcome: 'fail', invokeMs: 0, completeMs: 1 },
      { id: 0, process: 1, kind: 'read', key: 'k', outcome: 'ok', invokeMs: 5, completeMs: 1 },
      { id: 0, process: 1, kind: 'read', key: '', outcome: 'ok', invokeMs: 0, completeMs: 1 },
    ];
    for (const operation of invalid) expect(() => registerHistoryFromJson(JSON.stringify({ operations: [operation] })), JSON.stringify(operation)).toThrow(/not valid/);
  });
});
