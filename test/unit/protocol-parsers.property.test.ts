/**
 * Properties of the parsers at the process boundaries (issue 12, with the fuzz targets in
 * fuzz/targets): the peer frame decoders and the handshake, the control requests, the cluster
 * API's requests and the Redis front's request parser. Random strings, bytes and JSON values
 * never make them throw; every valid message, made from the schema's own shape
 * (`zod-arbitrary.ts`), round-trips through encode and decode.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseRequest } from '../../src/peer/dht/control.ts';
import { encodeRequest, RespRequestParser } from '../../src/peer/redis-request.ts';
import { apiCommandSchema, apiRequestSchema } from '../../src/shared/api/cluster-api.ts';
import { createCodec, membershipCodec, type Codec } from '../../src/shared/protocol/codec.ts';
import { authSchema, controlRequestSchema, dhtControlRequestSchema, helloSchema, welcomeSchema } from '../../src/shared/protocol/control.ts';
import { DHT_MESSAGE_TYPES, dhtCodec, dhtMessageSchema } from '../../src/shared/protocol/dht.ts';
import { KV_MESSAGE_BYTES_MAX_DEFAULT, KV_MESSAGE_TYPES, kvMessageSchema } from '../../src/shared/protocol/kv.ts';
import { gossipMessageSchema, MEMBERSHIP_MESSAGE_TYPES, membershipMessageSchema, swimMessageSchema } from '../../src/shared/protocol/membership.ts';
import { validOf } from '../support/zod-arbitrary.ts';

const REASONS = ['oversize', 'malformed', 'unknown-type', 'invalid'];

/** The key-value peer's codec, built as `shared/kv/peer.ts` builds it. */
const peerSchema = z.discriminatedUnion('type', [gossipMessageSchema, swimMessageSchema, kvMessageSchema]);
const peerCodec = createCodec<unknown>(peerSchema as z.ZodType<unknown>, new Set([...MEMBERSHIP_MESSAGE_TYPES, ...KV_MESSAGE_TYPES]));

const CODECS: readonly { name: string; codec: Codec<unknown>; schema: z.ZodType; types: ReadonlySet<string> }[] = [
  { name: 'key-value peer', codec: peerCodec, schema: peerSchema, types: new Set([...MEMBERSHIP_MESSAGE_TYPES, ...KV_MESSAGE_TYPES]) },
  { name: 'membership', codec: membershipCodec as Codec<unknown>, schema: membershipMessageSchema, types: MEMBERSHIP_MESSAGE_TYPES },
  { name: 'DHT', codec: dhtCodec as Codec<unknown>, schema: dhtMessageSchema, types: DHT_MESSAGE_TYPES },
];

/** Text a boundary may be sent: anything, JSON of anything, and JSON objects shaped almost like requests. */
const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .record({ t: fc.constantFrom('req', 'auth', 'hello', 'x'), id: fc.oneof(fc.integer(), fc.double(), fc.string()), command: fc.jsonValue({ maxDepth: 3 }), type: fc.string() }, { requiredKeys: [] })
    .map((value) => JSON.stringify(value)),
);

/** A valid value with one member, somewhere, replaced by something else. */
function spoiled<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.nat(), fc.jsonValue({ maxDepth: 2 })).map(([value, pick, replacement]) => {
    let index = 0;
    const target = pick % 32;
    const text = JSON.stringify(value, (key, member: unknown) => (key !== '' && index++ === target ? replacement : member));
    return text;
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

describe('peer frame decoders (property)', () => {
  for (const { name, codec, schema, types } of CODECS) {
    it(`the ${name} codec never throws on hostile text or bytes, and refuses in a bounded line`, () => {
      fc.assert(
        fc.property(fc.oneof(hostileText, spoiled(validOf(schema))), fc.uint8Array({ maxLength: 200 }), (text, bytes) => {
          for (const data of [text, bytes, new TextEncoder().encode(text)]) {
            const result = codec.decode(data, KV_MESSAGE_BYTES_MAX_DEFAULT);
            if (result.ok) expect(types.has((result.message as { type: string }).type)).toBe(true);
            else {
              expect(REASONS).toContain(result.error.reason);
              expect(result.error.detail.length).toBeLessThanOrEqual(160);
            }
          }
        }),
      );
    });

    it(`every valid ${name} message round-trips through encode and decode, as text and as bytes`, () => {
      fc.assert(
        fc.property(validOf(schema), (value) => {
          const message = schema.parse(value);
          const encoded = codec.encode(message);
          for (const data of [encoded, new TextEncoder().encode(encoded)]) {
            const decoded = codec.decode(data, KV_MESSAGE_BYTES_MAX_DEFAULT);
            expect(decoded.ok).toBe(true);
            if (decoded.ok) expect(decoded.message).toStrictEqual(message);
          }
        }),
      );
    });
  }

  for (const [name, schema] of [
    ['auth', authSchema],
    ['hello', helloSchema],
    ['welcome', welcomeSchema],
  ] as const) {
    it(`the handshake's ${name} frame: hostile text never throws, valid frames round-trip`, () => {
      fc.assert(fc.property(hostileText, (text) => void schema.safeParse(parseJson(text))));
      fc.assert(
        fc.property(validOf(schema), (value) => {
          expect(schema.parse(JSON.parse(JSON.stringify(value)))).toStrictEqual(schema.parse(value));
        }),
      );
    });
  }
});

describe('control requests (property)', () => {
  it("a DHT peer's parseRequest never throws, and answers with a request id and a command or a problem", () => {
    fc.assert(
      fc.property(fc.oneof(hostileText, spoiled(validOf(dhtControlRequestSchema)), spoiled(validOf(controlRequestSchema))), (text) => {
        const parsed = parseRequest(text);
        expect(Number.isSafeInteger(parsed.id) && parsed.id >= 0).toBe(true);
        expect(parsed.command === undefined).toBe(parsed.problem !== '');
      }),
    );
  });

  it("every valid DHT control request is parsed to its command and id", () => {
    fc.assert(
      fc.property(validOf(dhtControlRequestSchema), (value) => {
        const request = dhtControlRequestSchema.parse(value);
        const parsed = parseRequest(JSON.stringify(value));
        expect(parsed.problem).toBe('');
        expect(parsed.id).toBe(request.id);
        expect(parsed.command).toStrictEqual(request.command);
      }),
    );
  });

  it('a key-value control request: hostile text never throws, valid requests round-trip through JSON', () => {
    fc.assert(fc.property(fc.oneof(hostileText, spoiled(validOf(controlRequestSchema))), (text) => void controlRequestSchema.safeParse(parseJson(text))));
    fc.assert(
      fc.property(validOf(controlRequestSchema), (value) => {
        const request = controlRequestSchema.parse(value);
        expect(controlRequestSchema.parse(JSON.parse(JSON.stringify(request)))).toStrictEqual(request);
      }),
    );
  });
});

describe('cluster API requests (property)', () => {
  it('hostile text never makes the request or command schemas throw, and a refusal names an issue', () => {
    fc.assert(
      fc.property(fc.oneof(hostileText, spoiled(validOf(apiRequestSchema))), (text) => {
        const value = parseJson(text);
        for (const schema of [apiRequestSchema, apiCommandSchema]) {
          const result = schema.safeParse(value);
          if (!result.success) expect(typeof result.error.issues[0]?.message).toBe('string');
        }
      }),
    );
  });

  it('every valid request, and its command alone, round-trips through JSON', () => {
    fc.assert(
      fc.property(validOf(apiRequestSchema), (value) => {
        const request = apiRequestSchema.parse(value);
        expect(apiRequestSchema.parse(JSON.parse(JSON.stringify(request)))).toStrictEqual(request);
        expect(apiCommandSchema.parse(JSON.parse(JSON.stringify(request.command)))).toStrictEqual(request.command);
      }),
    );
  });
});

describe("the Redis front's request parser (property)", () => {
  const element = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom('GET', 'SET', 'PING', '', '\r\n', '*1', '$-1').map((text) => Buffer.from(text)));
  const requests = fc.array(fc.array(element, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 });

  it('requests as clients encode them are parsed back exactly, however the bytes are cut', () => {
    fc.assert(
      fc.property(requests, fc.array(fc.nat(), { maxLength: 8 }), (sent, cuts) => {
        const expected = sent.map((request) => request.map((part) => Buffer.from(part)));
        const wire = Buffer.concat(expected.map((request) => encodeRequest(request)));
        const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b);
        const parser = new RespRequestParser();
        const received: Buffer[][] = [];
        let start = 0;
        for (const end of [...points, wire.length]) {
          const result = parser.feed(wire.subarray(start, end));
          expect(result.error).toBeUndefined();
          received.push(...result.requests);
          start = end;
        }
        expect(isDeepStrictEqual(received, expected)).toBe(true);
      }),
    );
  });

  it('hostile bytes never make it throw, and what it holds follows what it was sent', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom('*', '$', '\r\n', '*3\r\n', '$9999999\r\n', '"', "'", ' ').map((text) => Buffer.from(text)).map((buffer) => new Uint8Array(buffer))), { maxLength: 20 }), (pieces) => {
        const parser = new RespRequestParser();
        let sent = 0;
        for (const piece of pieces) {
          sent += piece.length;
          const result = parser.feed(Buffer.from(piece));
          expect(parser.heldBytes).toBeLessThanOrEqual(4 * sent + 512);
          if (result.error !== undefined) break;
        }
        parser.close();
      }),
    );
  });
});
