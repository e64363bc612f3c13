import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { arbitraries, counter, membershipMessage, peerId } from '../support/arbitraries.ts';
import { membershipCodec } from '../../src/shared/protocol/codec.ts';
import {
  INCARNATION_MAX,
  membershipMessageBytes,
  MEMBERSHIP_MESSAGE_TYPES,
  type MembershipMessage,
} from '../../src/shared/protocol/membership.ts';
import { PEER_ID_LENGTH_MAX } from '../../src/shared/protocol/peer-id.ts';

const BYTES_MAX = 1 << 20;
const utf8 = new TextEncoder();


/** The same shape with every counter at its widest, the worst case for the size bound. */
function widest(message: MembershipMessage): MembershipMessage {
  return JSON.parse(
    JSON.stringify(message, (key, value: unknown) =>
      typeof value === 'number' ? Number.MAX_SAFE_INTEGER : key === 'kind' || key === 'state' ? 'suspect' : value,
    ),
  ) as MembershipMessage;
}

function refusal(data: string | Uint8Array, bytesMax = BYTES_MAX) {
  const result = membershipCodec.decode(data, bytesMax);
  if (result.ok) throw new Error(`expected a refusal, decoded ${JSON.stringify(result.message)}`);
  return result.error;
}

// ---------------------------------------------------------------------------------------------

describe('membership codec', () => {
  it('has an arbitrary for every membership message type', () => {
    expect(new Set(Object.keys(arbitraries))).toEqual(MEMBERSHIP_MESSAGE_TYPES);
  });

  for (const [type, arbitrary] of Object.entries(arbitraries)) {
    it(`round-trips every ${type} message through encode and decode`, () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const result = membershipCodec.decode(membershipCodec.encode(message), BYTES_MAX);
          expect(result).toEqual({ ok: true, message });
        }),
        { numRuns: 60 },
      );
    });
  }

  it('round-trips messages given as UTF-8 bytes too', () => {
    fc.assert(
      fc.property(membershipMessage, (message) => {
        const result = membershipCodec.decode(utf8.encode(membershipCodec.encode(message)), BYTES_MAX);
        expect(result).toEqual({ ok: true, message });
      }),
      { numRuns: 100 },
    );
  });

  it('bounds the encoded size: membershipMessageBytes is at least the UTF-8 length of the encoding', () => {
    fc.assert(
      fc.property(membershipMessage, (message) => {
        for (const candidate of [message, widest(message)]) {
          const encoded = utf8.encode(membershipCodec.encode(candidate)).byteLength;
          expect(membershipMessageBytes(candidate)).toBeGreaterThanOrEqual(encoded);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bounds the encoded size of the largest rows: longest ids, widest counters, left flags', () => {
    const id = 'x'.repeat(PEER_ID_LENGTH_MAX);
    const n = Number.MAX_SAFE_INTEGER;
    const messages: MembershipMessage[] = [
      { type: 'gossip.join-request', generation: n, heartbeat: n },
      { type: 'gossip.heartbeats', members: Array.from({ length: 50 }, () => ({ id, generation: n, heartbeat: n, left: true as const })) },
      { type: 'gossip.join-reply', members: Array.from({ length: 50 }, () => ({ id, generation: n, heartbeat: n, left: true as const })) },
      { type: 'swim.ping-req', sequence: n, target: id, piggyback: Array.from({ length: 50 }, () => ({ kind: 'suspect' as const, member: id, incarnation: n, from: id })) },
      { type: 'swim.ack', sequence: n, piggyback: [] },
      { type: 'swim.sync', reply: false, final: false, members: Array.from({ length: 50 }, () => ({ member: id, incarnation: n, state: 'suspect' as const })) },
    ];
    for (const message of messages) {
      expect(membershipMessageBytes(message)).toBeGreaterThanOrEqual(utf8.encode(membershipCodec.encode(message)).byteLength);
    }
  });

  describe('refusals', () => {
    const ping = membershipCodec.encode({ type: 'swim.ping', sequence: 1, piggyback: [] });

    it('refuses a string longer than the limit as oversize', () => {
      expect(refusal(ping, ping.length - 1).reason).toBe('oversize');
    });

    it('accepts a string exactly at the limit', () => {
      expect(membershipCodec.decode(ping, ping.length).ok).toBe(true);
    });

    it('measures a string in UTF-8 bytes, not characters, against the limit', () => {
      const text = membershipCodec.encode({ type: 'swim.gossip', piggyback: [] }).replace('}', ',"note":"ééé"}');
      expect(membershipCodec.decode(text, text.length).ok).toBe(false);
      expect(refusal(text, text.length).reason).toBe('oversize');
      expect(membershipCodec.decode(text, utf8.encode(text).byteLength).ok).toBe(true);
    });

    it('refuses a byte array longer than the limit as oversize', () => {
      const bytes = utf8.encode(ping);
      expect(refusal(bytes, bytes.byteLength - 1).reason).toBe('oversize');
      expect(membershipCodec.decode(bytes, bytes.byteLength).ok).toBe(true);
    });

    it('refuses text that is not JSON as malformed', () => {
      expect(refusal('{"type":').reason).toBe('malformed');
      expect(refusal('hello').reason).toBe('malformed');
      expect(refusal('').reason).toBe('malformed');
    });

    it('refuses a JSON array as malformed', () => {
      expect(refusal('[{"type":"swim.ping","sequence":1,"piggyback":[]}]').reason).toBe('malformed');
    });

    it('refuses a JSON number, string or null as malformed', () => {
      expect(refusal('42').reason).toBe('malformed');
      expect(refusal('"swim.ping"').reason).toBe('malformed');
      expect(refusal('null').reason).toBe('malformed');
    });

    it('refuses bytes that are not valid UTF-8 as malformed', () => {
      const valid = utf8.encode(ping);
      const invalid = new Uint8Array([...valid.slice(0, 10), 0xff, 0xfe, ...valid.slice(10)]);
      expect(refusal(invalid).reason).toBe('malformed');
      expect(refusal(new Uint8Array([0xc3])).reason).toBe('malformed');
    });

    it('refuses an object without a type as invalid', () => {
      expect(refusal('{"sequence":1,"piggyback":[]}').reason).toBe('invalid');
      expect(refusal('{"type":7,"sequence":1,"piggyback":[]}').reason).toBe('invalid');
    });

    it('refuses a field of the wrong type as invalid', () => {
      expect(refusal('{"type":"swim.ping","sequence":"1","piggyback":[]}').reason).toBe('invalid');
      expect(refusal('{"type":"swim.sync","reply":"yes","final":true,"members":[]}').reason).toBe('invalid');
      expect(refusal('{"type":"swim.gossip","piggyback":{}}').reason).toBe('invalid');
    });

    it('refuses a missing field as invalid', () => {
      expect(refusal('{"type":"swim.ping","piggyback":[]}').reason).toBe('invalid');
    });

    it('refuses a negative or fractional counter as invalid', () => {
      expect(refusal('{"type":"swim.ping","sequence":-1,"piggyback":[]}').reason).toBe('invalid');
      expect(refusal('{"type":"gossip.join-request","generation":0,"heartbeat":-5}').reason).toBe('invalid');
      expect(refusal('{"type":"swim.ack","sequence":1.5,"piggyback":[]}').reason).toBe('invalid');
      expect(refusal(`{"type":"swim.ack","sequence":${Number.MAX_SAFE_INTEGER + 2},"piggyback":[]}`).reason).toBe('invalid');
    });

    it('refuses a SWIM incarnation above INCARNATION_MAX as invalid', () => {
      const update = { kind: 'alive', member: 'a:1', incarnation: INCARNATION_MAX + 1, from: 'a:1' };
      expect(refusal(JSON.stringify({ type: 'swim.gossip', piggyback: [update] })).reason).toBe('invalid');
      const accepted = membershipCodec.decode(JSON.stringify({ type: 'swim.gossip', piggyback: [{ ...update, incarnation: INCARNATION_MAX }] }), BYTES_MAX);
      expect(accepted.ok).toBe(true);
    });

    it('refuses a peer id with a space as invalid', () => {
      const message = {
        type: 'swim.ping-req',
        sequence: 1,
        target: '1.0.0.0:0 x',
        piggyback: [],
      };
      expect(refusal(JSON.stringify(message)).reason).toBe('invalid');
      const nested = {
        type: 'swim.gossip',
        piggyback: [{ kind: 'dead', member: 'peer 3', incarnation: 0, from: '1.0.0.0:0' }],
      };
      expect(refusal(JSON.stringify(nested)).reason).toBe('invalid');
    });

    it('refuses an empty or over-long peer id as invalid', () => {
      const empty = { type: 'swim.ping-req', sequence: 1, target: '', piggyback: [] };
      const long = { type: 'swim.ping-req', sequence: 1, target: 'a'.repeat(PEER_ID_LENGTH_MAX + 1), piggyback: [] };
      expect(refusal(JSON.stringify(empty)).reason).toBe('invalid');
      expect(refusal(JSON.stringify(long)).reason).toBe('invalid');
    });

    it('refuses an unknown state as invalid', () => {
      const message = { type: 'swim.sync', reply: false, final: true, members: [{ member: 'a', incarnation: 0, state: 'zombie' }] };
      expect(refusal(JSON.stringify(message)).reason).toBe('invalid');
    });

    it('refuses an unknown message type as unknown-type', () => {
      expect(refusal('{"type":"swim.nope","piggyback":[]}').reason).toBe('unknown-type');
      expect(refusal('{"type":"toString"}').reason).toBe('unknown-type');
      expect(refusal('{"type":"__proto__"}').reason).toBe('unknown-type');
    });

    it('names the unknown type in the detail', () => {
      expect(refusal('{"type":"kv.create"}').detail).toContain('kv.create');
    });

    it('keeps the detail to at most 160 characters', () => {
      const longType = 't'.repeat(1000);
      const error = refusal(JSON.stringify({ type: longType }));
      expect(error.reason).toBe('unknown-type');
      expect(error.detail.length).toBeLessThanOrEqual(160);
      expect(error.detail.length).toBeGreaterThan(100);
    });
  });

  describe('robustness', () => {
    const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((code) => String.fromCodePoint(code));
    const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

    it('never throws on arbitrary strings, and keeps every detail short', () => {
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.string({ unit: anyCodePoint }), fc.string({ unit: loneSurrogate }), fc.json()), fc.integer({ min: 0, max: 4096 }), (text, bytesMax) => {
          const result = membershipCodec.decode(text, bytesMax);
          if (!result.ok) expect(result.error.detail.length).toBeLessThanOrEqual(160);
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on arbitrary byte arrays, and keeps every detail short', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          const result = membershipCodec.decode(bytes, BYTES_MAX);
          if (!result.ok) expect(result.error.detail.length).toBeLessThanOrEqual(160);
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on JSON objects shaped almost like messages', () => {
      const almost = fc.record({
        type: fc.oneof(fc.constantFrom(...MEMBERSHIP_MESSAGE_TYPES), fc.string(), fc.integer()),
        sequence: fc.oneof(counter, fc.integer(), fc.double(), fc.string()),
        piggyback: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()),
        members: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()),
        target: fc.oneof(peerId, fc.string()),
      }, { requiredKeys: [] });
      fc.assert(
        fc.property(almost, (value) => {
          const result = membershipCodec.decode(JSON.stringify(value), BYTES_MAX);
          if (!result.ok) {
            expect(['malformed', 'invalid', 'unknown-type', 'oversize']).toContain(result.error.reason);
            expect(result.error.detail.length).toBeLessThanOrEqual(160);
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
