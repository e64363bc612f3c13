/**
 * Bytes to messages and back, for everything that crosses a process boundary.
 *
 * Encoding is JSON. Decoding never throws: it returns a typed error saying why the bytes were
 * refused (too large, not JSON, an unknown type, or not matching the schema), so a peer can
 * count the refusal, report it and carry on.
 */
import type { z } from 'zod';
import type { RejectReason } from '../journal/events.ts';
import {
  MEMBERSHIP_MESSAGE_TYPES,
  membershipMessageSchema,
  type MembershipMessage,
} from './membership.ts';

export interface DecodeError {
  readonly reason: Exclude<RejectReason, 'wrong-protocol'>;
  /** One line for the log: what was wrong, bounded in length. */
  readonly detail: string;
}

export type DecodeResult<Message> =
  | { readonly ok: true; readonly message: Message }
  | { readonly ok: false; readonly error: DecodeError };

const DETAIL_LENGTH_MAX = 160;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export interface Codec<Message> {
  encode(message: Message): string;
  decode(data: string | Uint8Array, bytesMax: number): DecodeResult<Message>;
}

/** A codec for the messages of `schema`, whose `type` field takes one of `knownTypes`. */
export function createCodec<Message>(
  schema: z.ZodType<Message>,
  knownTypes: ReadonlySet<string>,
): Codec<Message> {
  return {
    encode: (message) => JSON.stringify(message),
    decode(data, bytesMax) {
      const size = typeof data === 'string' ? utf8Length(data, bytesMax) : data.byteLength;
      if (size > bytesMax) {
        return refuse('oversize', `at least ${size} bytes, the limit is ${bytesMax}`);
      }
      let text: string;
      try {
        text = typeof data === 'string' ? data : utf8Decoder.decode(data);
      } catch {
        return refuse('malformed', 'not valid UTF-8');
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return refuse('malformed', `not JSON: ${(error as Error).message}`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return refuse('malformed', 'not a JSON object');
      }
      const type = (value as { type?: unknown }).type;
      if (typeof type !== 'string') return refuse('invalid', 'no "type" field');
      if (!knownTypes.has(type)) return refuse('unknown-type', `unknown message type "${type}"`);
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
        return refuse('invalid', `${type}${where}: ${issue?.message ?? 'does not match the schema'}`);
      }
      return { ok: true, message: parsed.data };
    },
  };
}

function refuse(reason: DecodeError['reason'], detail: string): DecodeResult<never> {
  return { ok: false, error: { reason, detail: detail.slice(0, DETAIL_LENGTH_MAX) } };
}

/** UTF-8 length, or a cheap "more than the limit" answer for strings that are surely too long. */
function utf8Length(text: string, bytesMax: number): number {
  // A UTF-8 encoding is never shorter than the string's UTF-16 length.
  if (text.length > bytesMax) return text.length;
  return utf8Encoder.encode(text).byteLength;
}

export const membershipCodec: Codec<MembershipMessage> = createCodec<MembershipMessage>(
  membershipMessageSchema as z.ZodType<MembershipMessage>,
  MEMBERSHIP_MESSAGE_TYPES,
);
