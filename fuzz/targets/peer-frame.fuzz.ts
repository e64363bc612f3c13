/**
 * The peer frame decoder: what a peer does with the bytes of a frame another peer sent.
 *
 * A key-value peer decodes with the codec of `shared/kv/peer.ts` (built here the same way, from
 * the same exported schemas: membership and key-value messages, discriminated on `type`), a
 * circular DHT peer with `dhtCodec`, the membership machines alone with `membershipCodec`. Frames
 * arrive as text (the transport decodes them as UTF-8, as `rawText` does) or as bytes. Before any
 * of that, a connection's first frame is the handshake (`authSchema`, and the dialer reads
 * `helloSchema` and `welcomeSchema`).
 *
 * Invariants: decode returns a value, never throws; a refusal has a known reason and a detail of
 * at most 160 characters; an accepted message has a known type, is in proportion to the frame,
 * and round-trips through encode and decode; text and bytes of the same frame decode alike.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { createCodec, membershipCodec, type Codec, type DecodeResult } from '../../src/shared/protocol/codec.ts';
import { authSchema, helloSchema, welcomeSchema } from '../../src/shared/protocol/control.ts';
import { DHT_MESSAGE_TYPES, dhtCodec } from '../../src/shared/protocol/dht.ts';
import { KV_MESSAGE_BYTES_MAX_DEFAULT, KV_MESSAGE_TYPES, kvMessageSchema } from '../../src/shared/protocol/kv.ts';
import { gossipMessageSchema, MEMBERSHIP_MESSAGE_TYPES, swimMessageSchema } from '../../src/shared/protocol/membership.ts';
import { check, type FuzzTarget } from '../engine/target.ts';
import { checkProportion, checkSchema, parseJson } from './support.ts';

const peerTypes = new Set([...MEMBERSHIP_MESSAGE_TYPES, ...KV_MESSAGE_TYPES]);
const peerCodec = createCodec<unknown>(z.discriminatedUnion('type', [gossipMessageSchema, swimMessageSchema, kvMessageSchema]) as z.ZodType<unknown>, peerTypes);

const CODECS: readonly { name: string; codec: Codec<unknown>; types: ReadonlySet<string> }[] = [
  { name: 'kv peer', codec: peerCodec, types: peerTypes },
  { name: 'membership', codec: membershipCodec as Codec<unknown>, types: MEMBERSHIP_MESSAGE_TYPES },
  { name: 'dht', codec: dhtCodec as Codec<unknown>, types: DHT_MESSAGE_TYPES },
];
const REASONS = new Set(['oversize', 'malformed', 'unknown-type', 'invalid']);
/** A small limit too, so that frames over it are fuzzed as well. */
const SMALL_LIMIT = 512;

function checkResult(result: DecodeResult<unknown>, types: ReadonlySet<string>, input: number, what: string): void {
  if (!result.ok) {
    check(REASONS.has(result.error.reason), () => `${what}: an unknown refusal reason ${String(result.error.reason)}`);
    check(typeof result.error.detail === 'string' && result.error.detail.length <= 160, `${what}: a refusal detail longer than 160 characters`);
    return;
  }
  const type = (result.message as { type?: unknown }).type;
  check(typeof type === 'string' && types.has(type), `${what}: accepted a message of no known type`);
  checkProportion(result.message, input, what);
}

export const target: FuzzTarget = {
  name: 'peer-frame',
  description: "a peer's frame decoders (key-value, membership, DHT) and the connection handshake",
  json: true,
  maxLength: 4096,
  dictionary: [...peerTypes, ...DHT_MESSAGE_TYPES].map((type) => JSON.stringify(type)).concat(['"t"', '"auth"', '"hello"', '"welcome"', '"role"', '"nonce"', '"proof"']),
  fuzz(data) {
    const text = data.toString('utf8');
    const sameText = Buffer.from(text, 'utf8').equals(data);
    for (const { name, codec, types } of CODECS) {
      const fromText = codec.decode(text, KV_MESSAGE_BYTES_MAX_DEFAULT);
      checkResult(fromText, types, data.length, `${name} codec (text)`);
      const fromBytes = codec.decode(new Uint8Array(data), KV_MESSAGE_BYTES_MAX_DEFAULT);
      checkResult(fromBytes, types, data.length, `${name} codec (bytes)`);
      if (sameText) {
        check(fromText.ok === fromBytes.ok, `${name} codec: the text and the bytes of one frame decode differently`);
        if (fromText.ok && fromBytes.ok) check(isDeepStrictEqual(fromText.message, fromBytes.message), `${name} codec: text and bytes give different messages`);
      } else {
        check(!fromBytes.ok && fromBytes.error.reason === 'malformed', `${name} codec: accepted bytes that are not UTF-8`);
      }
      const small = codec.decode(text, SMALL_LIMIT);
      checkResult(small, types, data.length, `${name} codec (small limit)`);
      const size = Buffer.byteLength(text, 'utf8');
      check(size > SMALL_LIMIT ? !small.ok && small.error.reason === 'oversize' : small.ok === fromText.ok, `${name} codec: the size limit is applied wrongly`);
      if (fromText.ok) {
        const again = codec.decode(codec.encode(fromText.message), KV_MESSAGE_BYTES_MAX_DEFAULT);
        check(again.ok && isDeepStrictEqual(again.message, fromText.message), `${name} codec: an accepted message does not round-trip`);
      }
    }
    const value = parseJson(text);
    checkSchema(authSchema, value, data.length, 'auth');
    checkSchema(helloSchema, value, data.length, 'hello');
    checkSchema(welcomeSchema, value, data.length, 'welcome');
  },
};
