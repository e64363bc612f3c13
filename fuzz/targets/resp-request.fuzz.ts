/**
 * The Redis front's request parser (`src/peer/redis-request.ts`): the bytes a Redis client sends,
 * inline command lines and multibulk requests.
 *
 * Each input is one connection's bytes, fed whole, in pieces and one byte at a time (a socket
 * may cut them anywhere), to parsers with the front's limits, with small limits (so that 4 KiB
 * of input reaches them) and unauthenticated, all charging one shared budget.
 *
 * Invariants: nothing throws; the requests and the error do not depend on where the bytes were
 * cut; what a parser holds follows what it was sent (at most about twice the bytes of the request
 * in progress), never what a header declares; every byte charged to the budget is given back
 * when the connection closes; each request parsed encodes (`encodeRequest`) to bytes that parse
 * to the same request; requests carry no more bytes than were sent, and respect the limits.
 */
import { isDeepStrictEqual } from 'node:util';
import { encodeRequest, RequestBudget, RespRequestParser, type RequestParserOptions } from '../../src/peer/redis-request.ts';
import { check, type FuzzTarget } from '../engine/target.ts';

/** Shared by every parser of every input: what one connection leaves charged shows here. */
const budget = new RequestBudget(1_048_576);
const SMALL = { requestBytesMax: 256, elementsMax: 8, unauthenticatedElementsMax: 3, unauthenticatedBulkBytesMax: 16 };

interface Parsed {
  readonly requests: Buffer[][];
  readonly error: string | undefined;
}

/** One connection: `data` pushed in `pieces`, requests taken after each, the memory held checked. */
function connection(data: Buffer, pieces: readonly Buffer[], options: RequestParserOptions, what: string): Parsed {
  const parser = new RespRequestParser({ ...options, budget });
  const requests: Buffer[][] = [];
  let fed = 0;
  for (const piece of pieces) {
    fed += piece.length;
    const result = parser.feed(piece);
    requests.push(...result.requests);
    // The two growing buffers double (from 64 bytes) and the offsets table takes 8 bytes an element.
    check(parser.heldBytes <= 4 * parser.pendingBytes + 512, () => `${what}: holds ${parser.heldBytes} bytes for a request of ${parser.pendingBytes} bytes so far`);
    check(parser.heldBytes <= 4 * fed + 512, () => `${what}: holds ${parser.heldBytes} bytes after ${fed} bytes were sent`);
    if (result.error !== undefined) break;
  }
  const error = parser.error;
  parser.close();
  check(budget.bytesHeld === 0, () => `${what}: ${budget.bytesHeld} bytes stay charged to the budget after the connection closed`);
  const carried = requests.reduce((total, request) => total + request.reduce((sum, element) => sum + element.length, 0), 0);
  check(carried <= data.length, () => `${what}: requests carry ${carried} bytes out of ${data.length} sent`);
  for (const request of requests) check(request.length > 0, `${what}: an empty request`);
  return { requests, error };
}

function split(data: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < data.length; start += size) pieces.push(data.subarray(start, start + size));
  return pieces;
}

function sameParse(a: Parsed, b: Parsed, what: string): void {
  check(a.error === b.error, () => `${what}: the error depends on where the bytes were cut (${a.error} / ${b.error})`);
  check(isDeepStrictEqual(a.requests, b.requests), `${what}: the requests depend on where the bytes were cut`);
}

export const target: FuzzTarget = {
  name: 'resp-request',
  description: "the Redis front's request parser: inline lines and multibulk requests, however the bytes are cut",
  maxLength: 4096,
  dictionary: [
    '*', '$', '\r\n', '\n', '*1\r\n', '*2\r\n', '*3\r\n', '$3\r\nGET\r\n', '$3\r\nSET\r\n', '$4\r\nPING\r\n', '$4\r\nAUTH\r\n', '*0\r\n', '*-1\r\n',
    '$-1\r\n', '$0\r\n\r\n', '"', "'", '\\x4', '\\"', "\\'", '\\n', '\\r', ' ', '\t', '\u0000', 'PING', 'SET k v\r\n', '*65537\r\n', '*65536\r\n',
    '$16385\r\n', '$4194304\r\n', '-9223372036854775808', '9223372036854775807', '9223372036854775808', '00', '-0', '*9\r\n', '*4\r\n',
  ],
  fuzz(data) {
    const cut = 1 + (data.reduce((sum, byte) => sum + byte, 0) % 13);
    for (const [name, options] of [
      ['front limits', {}],
      ['small limits', { limits: SMALL }],
      ['unauthenticated', { limits: SMALL, authenticated: false }],
    ] as const) {
      const whole = connection(data, [data], options, `${name}, whole`);
      const pieces = connection(data, split(data, cut), options, `${name}, in ${cut}-byte pieces`);
      sameParse(whole, pieces, name);
      if (data.length <= 1024) {
        const bytes = connection(data, split(data, 1), options, `${name}, byte by byte`);
        sameParse(whole, bytes, name);
      }
      for (const request of whole.requests) {
        const again = new RespRequestParser().feed(encodeRequest(request));
        check(again.error === undefined && again.requests.length === 1 && isDeepStrictEqual(again.requests[0], request), `${name}: a request does not round-trip through encodeRequest`);
      }
    }
  },
};
