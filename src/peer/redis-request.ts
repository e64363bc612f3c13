/**
 * Requests to the Redis front, parsed as redis-server parses them (`networking.c`:
 * processInlineBuffer, processMultibulkBuffer), with bounds on everything a client may make us
 * hold. A request is either
 *
 *   - an inline command line, `SET k "two words"\r\n` (what telnet sends), split like Redis's
 *     `sdssplitargs` (double quotes with `\n \r \t \b \a \xHH` escapes, single quotes with `\'`),
 *     at most 64 KiB; or
 *   - a multibulk request, `*N\r\n` and N bulk strings `$LEN\r\n<LEN bytes>\r\n`. No nesting,
 *     no other types: as Redis, `*1\r\n*1\r\n` is `expected '$', got '*'`.
 *
 * Memory follows the bytes received, never a declared count or length: elements are appended to
 * one buffer that grows (doubling) as bytes arrive, so `*9999999\r\n` or `$4000000\r\n` costs
 * what was sent, and is refused at once when it declares more than the limits allow.
 *
 * The caller's duties, per connection:
 *   1. `push(chunk)` what the socket delivered, then call `next()` until it returns undefined,
 *      executing each request in order before taking the next (so that an AUTH can lift the
 *      unauthenticated limits, `authenticated = true`, for the requests behind it). `feed(chunk)`
 *      does both at once, for tests and fuzzers.
 *   2. When `error` is set, reply `-<error>` after the replies already owed, then close the
 *      connection, as Redis does after a protocol error. Nothing more is parsed.
 *   3. `close()` when the connection ends: it gives the connection's bytes back to the shared
 *      budget.
 */

/** Redis's own bound on an inline request and on a header line (PROTO_INLINE_MAX_SIZE). */
const INLINE_BYTES_MAX = 64 * 1024;

export interface RequestLimits {
  /**
   * Wire bytes of one request, headers and CRLFs included: a 1 MiB value (the store's limit)
   * and room for everything else a multi-key DEL or EXISTS carries.
   */
  readonly requestBytesMax: number;
  /**
   * Elements (command name and arguments) of one multibulk request. Each one is a separate
   * string to convert and, for DEL and EXISTS, a separate quorum operation; the commands here
   * take at most a few, so 65,536 is generous for real clients and keeps a single request's
   * fan-out and offsets table (8 bytes an element) bounded. Redis 6 refused more than 1,048,576.
   */
  readonly elementsMax: number;
  /** Redis's own limits before AUTH, when a password is required (networking.c). */
  readonly unauthenticatedElementsMax: number;
  readonly unauthenticatedBulkBytesMax: number;
}

export const REQUEST_LIMITS: RequestLimits = {
  requestBytesMax: 4 * 1_048_576,
  elementsMax: 65_536,
  unauthenticatedElementsMax: 10,
  unauthenticatedBulkBytesMax: 16_384,
};

/**
 * The bytes of partly received requests all connections may hold together. A request counts
 * from its first byte until it is complete (or refused, or its connection closes).
 */
export class RequestBudget {
  readonly bytesMax: number;
  #bytesHeld = 0;

  constructor(bytesMax: number) {
    this.bytesMax = bytesMax;
  }

  get bytesHeld(): number {
    return this.#bytesHeld;
  }

  /** Takes `bytes` if the budget has them; false (and nothing taken) if not. */
  take(bytes: number): boolean {
    if (this.#bytesHeld + bytes > this.bytesMax) return false;
    this.#bytesHeld += bytes;
    return true;
  }

  give(bytes: number): void {
    if (bytes > this.#bytesHeld) throw new Error(`request budget: giving back ${bytes} bytes, only ${this.#bytesHeld} are held`);
    this.#bytesHeld -= bytes;
  }
}

export interface RequestParserOptions {
  readonly limits?: Partial<RequestLimits>;
  /** Shared by every connection of one server; default: a budget of its own, unbounded. */
  readonly budget?: RequestBudget;
  /** False while a password is required and not yet given: Redis's tighter limits apply. */
  readonly authenticated?: boolean;
}

export interface FeedResult {
  readonly requests: Buffer[][];
  /** The reply to send (after a `-`) before closing the connection; set once, then for good. */
  readonly error?: string;
}

type State =
  | 'start' // between requests
  | 'inline' // an inline line, up to its '\n'
  | 'count' // '*' seen: the element count, up to its '\r'
  | 'bulk-header' // '$' and the length, up to its '\r'
  | 'line-feed' // the '\n' after a count or a bulk length
  | 'bulk-data'
  | 'bulk-end' // the CRLF after bulk data
  | 'failed';

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

export class RespRequestParser {
  /** False while a password is required and not given: Redis's tighter limits apply. */
  authenticated: boolean;
  readonly limits: RequestLimits;
  readonly #budget: RequestBudget;
  #error: string | undefined;
  #state: State = 'start';
  /** Pushed bytes from `#offset` on are not parsed yet. */
  #chunk: Buffer = EMPTY;
  #offset = 0;
  /** A header or inline line received in pieces. */
  readonly #line = new GrowingBuffer(INLINE_BYTES_MAX);
  /** The current multibulk request's elements, back to back, and where each one ends. */
  readonly #data: GrowingBuffer;
  readonly #ends: number[] = [];
  #elementsDeclared = 0;
  #bulkBytes = 0;
  #crlfSeen = 0;
  /** After the '\n' of a count or bulk length: where to go. */
  #afterLineFeed: State = 'start';
  /** Wire bytes of the request in progress. */
  #requestBytes = 0;
  /** Of those, the bytes taken from the shared budget. */
  #charged = 0;

  constructor(options: RequestParserOptions = {}) {
    this.limits = { ...REQUEST_LIMITS, ...options.limits };
    this.#data = new GrowingBuffer(this.limits.requestBytesMax);
    this.#budget = options.budget ?? new RequestBudget(Number.POSITIVE_INFINITY);
    this.authenticated = options.authenticated ?? true;
  }

  /** Why the connection must close (the reply's text after `-`), once parsing failed. */
  get error(): string | undefined {
    return this.#error;
  }

  /** Wire bytes of the request in progress (what the budget holds for this connection). */
  get pendingBytes(): number {
    return this.#requestBytes;
  }

  /** Bytes of memory held for the request in progress (at most about twice `pendingBytes`). */
  get heldBytes(): number {
    return this.#line.capacity + this.#data.capacity + this.#ends.length * 8;
  }

  /** Adds received bytes, and returns every request they complete, and the error if any. */
  feed(chunk: Buffer): FeedResult {
    this.push(chunk);
    const requests: Buffer[][] = [];
    for (let request = this.next(); request !== undefined; request = this.next()) requests.push(request);
    return this.#error === undefined ? { requests } : { requests, error: this.#error };
  }

  /** Adds received bytes, to be parsed by `next()`. */
  push(chunk: Buffer): void {
    if (this.#state === 'failed' || chunk.length === 0) return;
    if (this.#offset < this.#chunk.length) {
      // The caller stopped taking requests midway (it may, though the front never does).
      this.#chunk = Buffer.concat([this.#chunk.subarray(this.#offset), chunk]);
    } else this.#chunk = chunk;
    this.#offset = 0;
  }

  /**
   * The next complete request (its elements), or undefined when the bytes pushed so far hold
   * none: then more bytes are needed, or `error` is set.
   */
  next(): Buffer[] | undefined {
    const chunk = this.#chunk;
    while (this.#offset < chunk.length) {
      switch (this.#state) {
        case 'start':
          this.#requestBytes = 0;
          this.#state = chunk[this.#offset] === 0x2a /* '*' */ ? 'count' : 'inline';
          break;
        case 'inline': {
          // Redis refuses 64 KiB without a '\n'; a longer line is refused here even when its
          // '\n' came in the same read.
          const line = this.#readLine(LF, INLINE_BYTES_MAX, 'Protocol error: too big inline request');
          if (line === undefined) break;
          // A line that took the request past the limit is too big however it was cut into reads.
          if (this.#requestBytes > this.limits.requestBytesMax) return this.#failTooBig();
          const args = splitArgs(line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line);
          if (args === undefined) return this.#fail('ERR Protocol error: unbalanced quotes in request');
          this.#end();
          if (args.length > 0) return args;
          break; // an empty line: no request, as in Redis
        }
        case 'count': {
          const count = this.#readHeader('Protocol error: too big mbulk count string');
          if (count === undefined) break;
          if (this.#requestBytes > this.limits.requestBytesMax) return this.#failTooBig();
          if (Number.isNaN(count) || count > this.limits.elementsMax) return this.#fail('ERR Protocol error: invalid multibulk length');
          if (count > this.limits.unauthenticatedElementsMax && !this.authenticated) return this.#fail('ERR Protocol error: unauthenticated multibulk length');
          this.#elementsDeclared = count;
          // `*0` and `*-1` are no request at all: Redis reads past them without a reply.
          this.#lineFeed(count <= 0 ? 'start' : 'bulk-header');
          break;
        }
        case 'line-feed':
          this.#lineFeed(this.#afterLineFeed);
          break;
        case 'bulk-header': {
          // Redis checks the '$' once the whole line is in; refusing at the first byte answers
          // the same, without waiting for up to 64 KiB of a line that cannot be valid.
          if (this.#line.length === 0 && chunk[this.#offset] !== 0x24 /* '$' */) {
            return this.#fail(`ERR Protocol error: expected '$', got '${String.fromCharCode(chunk[this.#offset] as number)}'`);
          }
          const length = this.#readHeader('Protocol error: too big bulk count string');
          if (length === undefined) break;
          if (this.#requestBytes > this.limits.requestBytesMax) return this.#failTooBig();
          if (Number.isNaN(length) || length < 0 || length > this.limits.requestBytesMax) return this.#fail('ERR Protocol error: invalid bulk length');
          if (length > this.limits.unauthenticatedBulkBytesMax && !this.authenticated) return this.#fail('ERR Protocol error: unauthenticated bulk length');
          this.#bulkBytes = length;
          // Refused now rather than after megabytes: the declared length alone is too much.
          if (this.#requestBytes + 1 + this.#bulkBytes + 2 > this.limits.requestBytesMax) return this.#failTooBig();
          this.#lineFeed('bulk-data');
          break;
        }
        case 'bulk-data': {
          const element = this.#ends.length === 0 ? 0 : (this.#ends[this.#ends.length - 1] as number);
          const wanted = this.#bulkBytes - (this.#data.length - element);
          const take = Math.min(wanted, chunk.length - this.#offset);
          this.#data.append(chunk, this.#offset, this.#offset + take);
          this.#consume(take);
          if (take === wanted) this.#state = 'bulk-end';
          break;
        }
        case 'bulk-end': {
          // Redis skips these two bytes unread (`$4\r\nPINGxx` runs PING); refusing anything
          // but CRLF is stricter, and catches a client whose lengths are wrong.
          const both = this.#crlfSeen === 0 && this.#offset + 1 < chunk.length;
          if (chunk[this.#offset] !== (this.#crlfSeen === 0 ? CR : LF) || (both && chunk[this.#offset + 1] !== LF)) {
            return this.#fail('ERR Protocol error: expected CRLF after bulk data');
          }
          this.#consume(both ? 2 : 1);
          this.#crlfSeen += both ? 2 : 1;
          if (this.#crlfSeen < 2) break;
          this.#crlfSeen = 0;
          this.#ends.push(this.#data.length);
          if (this.#ends.length < this.#elementsDeclared) {
            this.#state = 'bulk-header';
            break;
          }
          return this.#request();
        }
        case 'failed':
          return undefined;
      }
      // (The helpers above may have failed: TypeScript cannot see that they change the state.)
      if ((this.#state as State) !== 'failed' && this.#requestBytes > this.limits.requestBytesMax) return this.#failTooBig();
    }
    // Every byte pushed is parsed: what the request in progress holds is charged to the budget.
    this.#chunk = EMPTY;
    this.#offset = 0;
    if (this.#state !== 'failed' && this.#state !== 'start' && this.#requestBytes > this.#charged) {
      if (!this.#budget.take(this.#requestBytes - this.#charged)) {
        return this.#fail(`ERR too many bytes of unfinished requests on this server (the limit is ${this.#budget.bytesMax} in all); retry later`);
      }
      this.#charged = this.#requestBytes;
    }
    return undefined;
  }

  /** The connection ended: its request in progress is dropped and its bytes given back. */
  close(): void {
    this.#drop();
    this.#state = 'failed';
  }

  /**
   * A count or length line (`*N`, `$N`) up to its '\r': its number, NaN when it is not one, or
   * undefined when the '\r' has not arrived yet (or the line is too long: then `error` is set).
   */
  #readHeader(tooBig: string): number | undefined {
    const chunk = this.#chunk;
    const found = this.#line.length === 0 ? chunk.indexOf(CR, this.#offset) : -1;
    if (found === -1 || found - this.#offset > INLINE_BYTES_MAX) {
      const line = this.#readLine(CR, INLINE_BYTES_MAX, tooBig);
      return line === undefined ? undefined : (parseInteger(line, 1, line.length) ?? Number.NaN);
    }
    // The whole line is in this chunk: read in place.
    const value = parseInteger(chunk, this.#offset + 1, found);
    this.#consume(found + 1 - this.#offset);
    return value ?? Number.NaN;
  }

  /** The '\n' after a count or a length, then `next`: now if it has arrived, else later. */
  #lineFeed(next: State): void {
    const chunk = this.#chunk;
    if (this.#offset >= chunk.length) {
      this.#state = 'line-feed';
      this.#afterLineFeed = next;
      return;
    }
    // Redis skips this byte unread; one that is not '\n' is refused here.
    if (chunk[this.#offset] !== LF) {
      this.#fail(next === 'bulk-data' ? 'ERR Protocol error: invalid bulk length' : 'ERR Protocol error: invalid multibulk length');
      return;
    }
    this.#consume(1);
    this.#state = next;
    if (next === 'start') this.#end();
    else if (next === 'bulk-data' && this.#bulkBytes === 0) this.#state = 'bulk-end';
  }

  /**
   * Reads up to `terminator` (consumed, not returned); undefined when it has not arrived yet.
   * A line of more than `bytesMax` bytes, not counting a '\r' before a '\n', is refused.
   */
  #readLine(terminator: number, bytesMax: number, tooBig: string): Buffer | undefined {
    const chunk = this.#chunk;
    const start = this.#offset;
    const found = chunk.indexOf(terminator, start);
    const end = found === -1 ? chunk.length : found;
    this.#consume(end - start);
    if (found === -1) {
      if (this.#line.length + (end - start) > bytesMax) return this.#fail(`ERR ${tooBig}`);
      this.#line.append(chunk, start, end);
      return undefined;
    }
    this.#consume(1);
    let line: Buffer;
    if (this.#line.length === 0) line = chunk.subarray(start, end);
    else {
      this.#line.append(chunk, start, end);
      line = this.#line.take();
    }
    if (line.length - (terminator === LF && line[line.length - 1] === CR ? 1 : 0) > bytesMax) return this.#fail(`ERR ${tooBig}`);
    return line;
  }

  #consume(bytes: number): void {
    this.#offset += bytes;
    this.#requestBytes += bytes;
  }

  #request(): Buffer[] {
    const data = this.#data.take();
    const elements: Buffer[] = [];
    let start = 0;
    for (const end of this.#ends) {
      elements.push(data.subarray(start, end));
      start = end;
    }
    this.#end();
    return elements;
  }

  /** The request in progress is done (or was nothing): back to waiting for the next one. */
  #end(): void {
    this.#drop();
    this.#state = 'start';
  }

  #drop(): void {
    if (this.#charged > 0) this.#budget.give(this.#charged);
    this.#charged = 0;
    this.#requestBytes = 0;
    if (this.#line.capacity > 0) this.#line.take();
    // Elements handed out keep the old buffer: the next request starts a new one.
    if (this.#data.capacity > 0) this.#data.take();
    this.#ends.length = 0;
    this.#elementsDeclared = 0;
    this.#crlfSeen = 0;
  }

  #failTooBig(): undefined {
    return this.#fail(`ERR Protocol error: too big request (the limit is ${this.limits.requestBytesMax} bytes)`);
  }

  #fail(error: string): undefined {
    this.#drop();
    this.#error = error;
    this.#state = 'failed';
    this.#chunk = EMPTY;
    this.#offset = 0;
    return undefined;
  }
}

/** A multibulk request, as clients send one: the inverse of `RespRequestParser`. */
export function encodeRequest(elements: readonly (Buffer | string)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${elements.length}\r\n`)];
  for (const element of elements) {
    const data = typeof element === 'string' ? Buffer.from(element) : element;
    parts.push(Buffer.from(`$${data.length}\r\n`), data, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Bytes appended as they arrive, in one buffer that doubles when full: at most about twice what
 * was appended is held, and each byte is copied a bounded number of times on average.
 */
class GrowingBuffer {
  static readonly CAPACITY_MIN = 64;
  readonly #capacityMax: number;
  #buffer: Buffer = EMPTY;
  length = 0;

  /** `capacityMax`: no need to grow past it (more than it is an error for the caller). */
  constructor(capacityMax: number) {
    this.#capacityMax = capacityMax;
  }

  get capacity(): number {
    return this.#buffer.length;
  }

  /** Appends `source[start, end)`. */
  append(source: Buffer, start: number, end: number): void {
    if (end <= start) return;
    const needed = this.length + (end - start);
    if (needed > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, Math.min(2 * this.#buffer.length, this.#capacityMax), GrowingBuffer.CAPACITY_MIN));
      this.#buffer.copy(grown, 0, 0, this.length);
      this.#buffer = grown;
    }
    source.copy(this.#buffer, this.length, start, end);
    this.length = needed;
  }

  /** What was appended; the buffer starts empty again (the bytes returned stay valid). */
  take(): Buffer {
    const contents = this.#buffer.subarray(0, this.length);
    this.#buffer = EMPTY;
    this.length = 0;
    return contents;
  }
}

/**
 * Redis's string2ll: an optional '-', then digits without leading zeros, within 64 bits. Past
 * 2^53 the number returned is not exact, but it is beyond every limit here all the same.
 */
function parseInteger(text: Buffer, start: number, end: number): number | undefined {
  const length = end - start;
  if (length <= 0 || length >= 21) return undefined;
  const negative = text[start] === 0x2d; /* '-' */
  const first = negative ? start + 1 : start;
  if (length === 1 && text[start] === 0x30) return 0;
  if (first === end) return undefined;
  let value = 0;
  for (let index = first; index < end; index++) {
    const digit = (text[index] as number) - 0x30;
    if (digit < 0 || digit > 9 || (digit === 0 && index === first)) return undefined;
    value = value * 10 + digit;
  }
  if (end - first >= 19) {
    const exact = BigInt(text.toString('latin1', start, end));
    if (exact < -(2n ** 63n) || exact >= 2n ** 63n) return undefined;
  }
  return negative ? -value : value;
}

/** C's isspace in the C locale. */
function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || (byte !== undefined && byte >= 0x09 && byte <= 0x0d);
}

function isHexDigit(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

const ESCAPES: Readonly<Record<number, number>> = { 0x6e: LF, 0x72: CR, 0x74: 0x09, 0x62: 0x08, 0x61: 0x07 }; // n r t b a

/**
 * Redis's sdssplitargs: words separated by blanks, "double quoted" (with escapes) or 'single
 * quoted'; a closing quote must be followed by a blank or the end. Undefined: unbalanced quotes.
 * As in C, a NUL byte ends the arguments. (Redis looks for the line's '\n' with strchr too, so
 * there a NUL before it hides the '\n' and the connection waits; here the line ends at its '\n'.)
 */
export function splitArgs(line: Buffer): Buffer[] | undefined {
  const nul = line.indexOf(0);
  const text = nul === -1 ? line : line.subarray(0, nul);
  const at = (index: number): number | undefined => text[index];
  const args: Buffer[] = [];
  let p = 0;
  for (;;) {
    while (p < text.length && isSpace(at(p))) p++;
    if (p >= text.length) return args;
    const current: number[] = [];
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const byte = at(p);
      if (inDouble) {
        if (byte === 0x5c /* \ */ && at(p + 1) === 0x78 /* x */ && isHexDigit(at(p + 2)) && isHexDigit(at(p + 3))) {
          current.push(Number.parseInt(String.fromCharCode(at(p + 2) as number, at(p + 3) as number), 16));
          p += 3;
        } else if (byte === 0x5c && at(p + 1) !== undefined) {
          p++;
          const escaped = at(p) as number;
          current.push(ESCAPES[escaped] ?? escaped);
        } else if (byte === 0x22 /* " */) {
          if (at(p + 1) !== undefined && !isSpace(at(p + 1))) return undefined;
          done = true;
        } else if (byte === undefined) {
          return undefined;
        } else current.push(byte);
      } else if (inSingle) {
        if (byte === 0x5c && at(p + 1) === 0x27 /* ' */) {
          p++;
          current.push(0x27);
        } else if (byte === 0x27) {
          if (at(p + 1) !== undefined && !isSpace(at(p + 1))) return undefined;
          done = true;
        } else if (byte === undefined) {
          return undefined;
        } else current.push(byte);
      } else if (byte === undefined || byte === 0x20 || byte === LF || byte === CR || byte === 0x09) {
        done = true;
      } else if (byte === 0x22) {
        inDouble = true;
      } else if (byte === 0x27) {
        inSingle = true;
      } else current.push(byte);
      if (p < text.length) p++;
    }
    args.push(Buffer.from(current));
  }
}
