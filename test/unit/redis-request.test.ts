/**
 * The Redis front's request parser: Redis's answers to malformed requests, and, as properties,
 * that any split of valid requests parses to exactly those requests and that no input makes it
 * throw or hold more than its bounds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRequest, REQUEST_LIMITS, RequestBudget, RespRequestParser, splitArgs, type FeedResult } from '../../src/peer/redis-request.ts';

/** What a connection makes of `input`, fed in one chunk: requests as text, and the error. */
function parse(input: string | Buffer, parser = new RespRequestParser()): { requests: string[][]; error?: string } {
  const result = parser.feed(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  return text(result);
}

function text(result: FeedResult): { requests: string[][]; error?: string } {
  const requests = result.requests.map((request) => request.map((element) => element.toString('latin1')));
  return result.error === undefined ? { requests } : { requests, error: result.error };
}

/** Feeds `input` cut at `cuts` (offsets), and collects everything. */
function feedInPieces(parser: RespRequestParser, input: Buffer, cuts: readonly number[]): { requests: Buffer[][]; error?: string } {
  const offsets = [...new Set(cuts.map((cut) => cut % (input.length + 1)))].sort((a, b) => a - b);
  const requests: Buffer[][] = [];
  let error: string | undefined;
  let start = 0;
  for (const end of [...offsets, input.length]) {
    const result = parser.feed(input.subarray(start, end));
    requests.push(...result.requests);
    error = result.error;
    start = end;
  }
  return error === undefined ? { requests } : { requests, error };
}

/** An inline line for `args`, quoted as redis-cli would type them: every argument in "…". */
function encodeInline(args: readonly Buffer[]): Buffer {
  const quoted = args.map((arg) => {
    let out = '"';
    for (const byte of arg) {
      if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
      else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
      else out += `\\x${byte.toString(16).padStart(2, '0')}`;
    }
    return `${out}"`;
  });
  return Buffer.from(`${quoted.join(' ')}\r\n`, 'latin1');
}

describe('the Redis request parser answers malformed requests as Redis does', () => {
  it('parses a multibulk request, an inline one and a pipeline of both', () => {
    expect(parse('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n')).toEqual({ requests: [['SET', 'k', 'hello']] });
    expect(parse('PING\r\nECHO hi\n*1\r\n$4\r\nPING\r\n')).toEqual({ requests: [['PING'], ['ECHO', 'hi'], ['PING']] });
  });

  it('takes `$abc` on a line of its own for an inline command named $abc, and refuses it as a bulk length', () => {
    expect(parse('$abc\r\n')).toEqual({ requests: [['$abc']] });
    expect(parse('*1\r\n$abc\r\n')).toEqual({ requests: [], error: 'ERR Protocol error: invalid bulk length' });
  });

  it('refuses bulk data not followed by CRLF (`$4\\r\\nPINGxx`), which Redis would run', () => {
    expect(parse('*1\r\n$4\r\nPINGxx\r\n')).toEqual({ requests: [], error: 'ERR Protocol error: expected CRLF after bulk data' });
    expect(parse('*1\r\n$4\r\nPING\rx')).toEqual({ requests: [], error: 'ERR Protocol error: expected CRLF after bulk data' });
  });

  it('reads past `*0` and `*-1` without a request, and goes on', () => {
    expect(parse('*0\r\n*-1\r\n*-7\r\n*1\r\n$4\r\nPING\r\n')).toEqual({ requests: [['PING']] });
    const parser = new RespRequestParser();
    expect(parse('*0\r\n', parser)).toEqual({ requests: [] });
    expect(parser.pendingBytes).toBe(0);
    expect(parse('PING\r\n', parser)).toEqual({ requests: [['PING']] });
  });

  it('refuses nesting and any type but bulk strings, naming the byte', () => {
    expect(parse('*1\r\n*1\r\n')).toEqual({ requests: [], error: "ERR Protocol error: expected '$', got '*'" });
    expect(parse('*1\r\n:5\r\n')).toEqual({ requests: [], error: "ERR Protocol error: expected '$', got ':'" });
    // At once, without waiting for the rest of a line that cannot be valid.
    expect(parse('*2\r\n*')).toEqual({ requests: [], error: "ERR Protocol error: expected '$', got '*'" });
  });

  it('refuses invalid, negative and huge lengths', () => {
    for (const count of ['abc', '', '+1', '01', '1 ', '-', '99999999999999999999', '-99999999999999999999', String(REQUEST_LIMITS.elementsMax + 1), '9999999']) {
      expect(parse(`*${count}\r\n`), `*${count}`).toEqual({ requests: [], error: 'ERR Protocol error: invalid multibulk length' });
    }
    expect(parse(`*${REQUEST_LIMITS.elementsMax}\r\n`)).toEqual({ requests: [] }); // allowed: waits for the elements
    for (const length of ['abc', '', '-1', '-5', '01', '99999999999', String(REQUEST_LIMITS.requestBytesMax + 1)]) {
      expect(parse(`*1\r\n$${length}\r\n`), `$${length}`).toEqual({ requests: [], error: 'ERR Protocol error: invalid bulk length' });
    }
    expect(parse('*1\r\n$3\rX')).toEqual({ requests: [], error: 'ERR Protocol error: invalid bulk length' });
  });

  it('refuses a request whose declared lengths add up to more than the limit, before the bytes arrive', () => {
    const parser = new RespRequestParser();
    const half = REQUEST_LIMITS.requestBytesMax / 2;
    expect(parse(`*3\r\n$3\r\nSET\r\n$${half}\r\n`, parser)).toEqual({ requests: [] });
    expect(parser.heldBytes).toBeLessThan(1024);
    expect(parse(Buffer.concat([Buffer.alloc(half, 0x61), Buffer.from(`\r\n$${half}\r\n`)]), parser).error).toBe(
      `ERR Protocol error: too big request (the limit is ${REQUEST_LIMITS.requestBytesMax} bytes)`,
    );
    expect(parser.heldBytes).toBe(0);
  });

  it('splits inline commands like sdssplitargs: quotes, escapes, and unbalanced quotes refused', () => {
    expect(parse('SET "two words" \'it\\\'s\'\r\n')).toEqual({ requests: [['SET', 'two words', "it's"]] });
    expect(parse('ECHO "a\\x41\\n\\t\\"\\\\"\r\n')).toEqual({ requests: [['ECHO', 'aA\n\t"\\']] });
    expect(parse('ECHO ab"cd ef"gh\r\n')).toEqual({ requests: [], error: 'ERR Protocol error: unbalanced quotes in request' });
    expect(parse('ECHO ab"cd ef"\r\n')).toEqual({ requests: [['ECHO', 'abcd ef']] });
    expect(parse('ECHO "abc\r\n')).toEqual({ requests: [], error: 'ERR Protocol error: unbalanced quotes in request' });
    expect(parse("ECHO 'abc\r\n")).toEqual({ requests: [], error: 'ERR Protocol error: unbalanced quotes in request' });
    expect(parse('ECHO "abc"d\r\n')).toEqual({ requests: [], error: 'ERR Protocol error: unbalanced quotes in request' });
    expect(parse('  \t\r\n\n')).toEqual({ requests: [] });
    expect(parse('PING\u0000 ignored after NUL\r\n')).toEqual({ requests: [['PING']] });
    expect(splitArgs(Buffer.from('a\u000bb c'))?.map(String)).toEqual(['a\u000bb', 'c']);
  });

  it('refuses an inline line or a header line over 64 KiB', () => {
    expect(parse('x'.repeat(64 * 1024 + 1)).error).toBe('ERR Protocol error: too big inline request');
    expect(parse(`${'x'.repeat(64 * 1024)}\r\n`)).toEqual({ requests: [['x'.repeat(64 * 1024)]] });
    expect(parse(`${'x'.repeat(64 * 1024 + 1)}\r\n`).error).toBe('ERR Protocol error: too big inline request');
    expect(parse(`*${'1'.repeat(64 * 1024 + 1)}`).error).toBe('ERR Protocol error: too big mbulk count string');
    expect(parse(`*1\r\n$${'1'.repeat(64 * 1024 + 1)}`).error).toBe('ERR Protocol error: too big bulk count string');
  });

  it("applies Redis's limits before AUTH: 10 elements, 16 KiB a bulk string", () => {
    const parser = new RespRequestParser({ authenticated: false });
    expect(parse('*10\r\n', parser)).toEqual({ requests: [] });
    expect(parse('*11\r\n').error).toBeUndefined();
    expect(parse('*11\r\n', new RespRequestParser({ authenticated: false })).error).toBe('ERR Protocol error: unauthenticated multibulk length');
    expect(parse('*1\r\n$16385\r\n', new RespRequestParser({ authenticated: false })).error).toBe('ERR Protocol error: unauthenticated bulk length');
    // Lifted between requests of the same chunk, as the front does after a successful AUTH.
    const lifted = new RespRequestParser({ authenticated: false });
    lifted.push(Buffer.concat([encodeRequest(['AUTH', 'pw']), encodeRequest(['ECHO', 'x'.repeat(20_000)])]));
    expect(lifted.next()?.map(String)).toEqual(['AUTH', 'pw']);
    lifted.authenticated = true;
    expect(lifted.next()?.[1]?.length).toBe(20_000);
  });

  it('stops for good after an error, and parses nothing more', () => {
    const parser = new RespRequestParser();
    expect(parse('PING\r\n*1\r\n*1\r\nPING\r\n', parser)).toEqual({ requests: [['PING']], error: "ERR Protocol error: expected '$', got '*'" });
    expect(parse('PING\r\n', parser)).toEqual({ requests: [], error: "ERR Protocol error: expected '$', got '*'" });
  });

  it('holds what was received, not what was declared: sixty `*9999999` or a declared 4 MiB string', () => {
    expect(parse('*9999999\r\n'.repeat(60)).error).toBe('ERR Protocol error: invalid multibulk length');
    const parser = new RespRequestParser();
    parse(`*${REQUEST_LIMITS.elementsMax}\r\n`, parser);
    expect(parser.heldBytes).toBe(0);
    const big = new RespRequestParser();
    parse(`*1\r\n$${REQUEST_LIMITS.requestBytesMax - 20}\r\n`, big);
    parse('abc', big);
    expect(big.heldBytes).toBeLessThanOrEqual(64);
    for (let index = 0; index < 1000; index++) parse('x'.repeat(100), big);
    expect(big.pendingBytes).toBe(`*1\r\n$${REQUEST_LIMITS.requestBytesMax - 20}\r\n`.length + 3 + 100_000);
    expect(big.heldBytes).toBeLessThanOrEqual(2 * big.pendingBytes);
  });

  it('shares one budget between connections: the one that would go past it is refused, and closing gives bytes back', () => {
    const budget = new RequestBudget(1000);
    const first = new RespRequestParser({ budget });
    const second = new RespRequestParser({ budget });
    const third = new RespRequestParser({ budget });
    const partial = `*1\r\n$900\r\n${'x'.repeat(400)}`;
    expect(parse(partial, first)).toEqual({ requests: [] });
    expect(parse(partial, second)).toEqual({ requests: [] });
    expect(budget.bytesHeld).toBe(2 * partial.length);
    expect(parse(partial, third).error).toBe('ERR too many bytes of unfinished requests on this server (the limit is 1000 in all); retry later');
    expect(budget.bytesHeld).toBe(2 * partial.length);
    first.close();
    expect(budget.bytesHeld).toBe(partial.length);
    expect(parse(`${'x'.repeat(500)}\r\n`, second)).toEqual({ requests: [['x'.repeat(900)]] });
    expect(budget.bytesHeld).toBe(0);
  });
});

// ---- properties ----

const element = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes));
const request = fc.array(element, { minLength: 1, maxLength: 8 });
/** Requests, each sent as multibulk or inline, with empty requests (`*0`, blank lines) between. */
const session = fc.array(
  fc.record({ elements: request, inline: fc.boolean(), noise: fc.constantFrom('', '', '*0\r\n', '*-1\r\n', '\r\n', '   \n') }),
  { minLength: 1, maxLength: 12 },
);
const cuts = fc.array(fc.nat(), { maxLength: 40 });

/** Bytes that look like RESP more often than random bytes do. */
const garbage = fc.array(
  fc.oneof(
    fc.constantFrom('*', '$', '\r\n', '\r', '\n', '0', '1', '-1', '3', '10', '9999999', '65537', 'PING', '"', "'", '\\x4', ' ', ':', '\u0000'),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  ),
  { maxLength: 60 },
);

describe('the Redis request parser (property)', () => {
  it('parses any sequence of valid requests, cut anywhere, to exactly those requests', () => {
    fc.assert(
      fc.property(session, cuts, (requests, cutAt) => {
        const wire = Buffer.concat(requests.flatMap(({ elements, inline, noise }) => [Buffer.from(noise, 'latin1'), inline ? encodeInline(elements) : encodeRequest(elements)]));
        const parser = new RespRequestParser();
        const parsed = feedInPieces(parser, wire, cutAt);
        expect(parsed.error).toBeUndefined();
        expect(parsed.requests).toEqual(requests.map(({ elements }) => elements));
        expect(parser.pendingBytes).toBe(0);
        expect(parser.heldBytes).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips: encoding the parsed request gives back the bytes sent', () => {
    fc.assert(
      fc.property(request, (elements) => {
        const wire = encodeRequest(elements);
        const { requests } = new RespRequestParser().feed(wire);
        expect(requests).toHaveLength(1);
        expect(encodeRequest(requests[0] as Buffer[]).equals(wire)).toBe(true);
        expect(splitArgs(encodeInline(elements).subarray(0, -2))).toEqual(elements);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on garbage, and never holds more than its bounds, alone or with others on one budget', () => {
    const limits = { requestBytesMax: 2048, elementsMax: 16 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), garbage), { maxLength: 30 }), fc.boolean(), (feeds, authenticated) => {
        const budget = new RequestBudget(3000);
        const parsers = [0, 1, 2, 3].map(() => new RespRequestParser({ budget, limits, authenticated }));
        for (const [which, pieces] of feeds) {
          const parser = parsers[which] as RespRequestParser;
          const result = parser.feed(Buffer.from(pieces.join(''), 'latin1'));
          for (const parsed of result.requests) {
            expect(parsed.length).toBeGreaterThan(0);
            expect(parsed.length).toBeLessThanOrEqual(Math.max(limits.elementsMax, 64 * 1024));
          }
          for (const each of parsers) {
            expect(each.pendingBytes).toBeLessThanOrEqual(limits.requestBytesMax);
            expect(each.heldBytes).toBeLessThanOrEqual(2 * each.pendingBytes + 2 * 64);
          }
          expect(budget.bytesHeld).toBe(parsers.reduce((sum, each) => sum + each.pendingBytes, 0));
          expect(budget.bytesHeld).toBeLessThanOrEqual(budget.bytesMax);
        }
        for (const parser of parsers) parser.close();
        expect(budget.bytesHeld).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses any declared count or length past the limits at once, holding only the bytes received', () => {
    const huge = fc.bigInt({ min: BigInt(REQUEST_LIMITS.elementsMax) + 1n, max: 2n ** 63n - 1n });
    fc.assert(
      fc.property(huge, fc.nat(20), (count, depth) => {
        const parser = new RespRequestParser();
        // A nested array: the first element must be a bulk string.
        expect(parser.feed(Buffer.from(`*2\r\n${'*1\r\n'.repeat(depth + 1)}`)).error).toBe("ERR Protocol error: expected '$', got '*'");
        const counted = new RespRequestParser();
        expect(counted.feed(Buffer.from(`*${count}\r\n`)).error).toBe('ERR Protocol error: invalid multibulk length');
        const bulk = new RespRequestParser();
        const length = count + BigInt(REQUEST_LIMITS.requestBytesMax);
        expect(bulk.feed(Buffer.from(`*1\r\n$${length}\r\n`)).error).toBe('ERR Protocol error: invalid bulk length');
        expect(parser.heldBytes + counted.heldBytes + bulk.heldBytes).toBe(0);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: REQUEST_LIMITS.requestBytesMax - 32 }), fc.nat(5000), (length, sent) => {
        const parser = new RespRequestParser();
        const header = `*1\r\n$${length}\r\n`;
        parser.feed(Buffer.from(header));
        parser.feed(Buffer.alloc(Math.min(sent, length), 0x78));
        expect(parser.heldBytes).toBeLessThanOrEqual(2 * (header.length + Math.min(sent, length)) + 64);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the request byte limit', () => {
  it('refuses a line that takes the request past it however the bytes were cut (the fuzzer found it depended on the reads)', () => {
    const line = Buffer.from(`SET k ${'v'.repeat(300)}\r\n`);
    const whole = new RespRequestParser({ limits: { requestBytesMax: 256 } }).feed(line);
    const parser = new RespRequestParser({ limits: { requestBytesMax: 256 } });
    const first = parser.feed(line.subarray(0, 280));
    const cut = first.error === undefined ? parser.feed(line.subarray(280)) : first;
    expect(whole.requests).toEqual([]);
    expect(whole.error).toMatch(/^ERR Protocol error: too big request/);
    expect(cut.error).toBe(whole.error);
    // A header line too: `*` count and `$` length lines count towards the request.
    const header = Buffer.from(`*1\r\n$${'0'.repeat(300)}3\r\nabc\r\n`);
    const wholeHeader = new RespRequestParser({ limits: { requestBytesMax: 256 } }).feed(header);
    const bytes = new RespRequestParser({ limits: { requestBytesMax: 256 } });
    let byByte: FeedResult = { requests: [] };
    for (let index = 0; index < header.length && byByte.error === undefined; index++) byByte = bytes.feed(header.subarray(index, index + 1));
    expect(byByte.error).toBe(wholeHeader.error);
  });
});
