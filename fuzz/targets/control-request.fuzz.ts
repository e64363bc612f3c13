/**
 * The control commands: what a control client (the cluster manager, `ringside put --via`) sends
 * a peer after the handshake.
 *
 * A circular DHT peer's endpoint is run whole (`DhtControl`, over a channel and a peer that are
 * stand-ins): a frame it refuses is answered at once with one error reply carrying the request's
 * id when it has one. A key-value peer parses its frames inside `PeerProcess` (JSON.parse, then
 * `controlRequestSchema`, then an error reply with the first issue); that code is private, so the
 * same steps are taken here on the same schema.
 *
 * Invariants: nothing throws; a refused frame gets exactly one reply, `{ t: 'res', id, ok: false,
 * error }` with a non-negative integer id; an accepted request round-trips through JSON and the
 * schema; replies and values stay in proportion to the frame.
 */
import { DhtControl, parseRequest, type DhtControlTarget } from '../../src/peer/dht/control.ts';
import { EventStream } from '../../src/peer/event-stream.ts';
import type { ControlChannel } from '../../src/peer/transport.ts';
import { controlRequestSchema, controlResponseSchema, replyId, dhtControlRequestSchema, type DhtInspection, type TransportCounters } from '../../src/shared/protocol/control.ts';
import { check, type FuzzTarget } from '../engine/target.ts';
import { checkProportion, checkSchema, parseJson } from './support.ts';

const counters: TransportCounters = { connectionsAccepted: 0, connectionsRefused: 0, framesReceived: 0, framesRefused: {}, messagesSent: 0, messagesDropped: {}, reconnects: 0 };
const peer: DhtControlTarget = {
  inspect: () => Promise.resolve({ id: 'peer-1' } as unknown as DhtInspection),
  begin: () => undefined,
  type: (line) => ({ line, command: 'unknown' }),
  quit: () => undefined,
  readyInfo: () => ({ id: 'peer-1', pid: 1, port: 7001, redisPort: 0, protocol: 'dht', tickMs: 100 }),
};
/** Replies sent while a frame is handled (synchronously); later ones (answers to commands) are not kept. */
let replies: string[] | undefined;
let handler: ((text: string) => void) | undefined;
const channel: ControlChannel = {
  send: (text) => replies?.push(text),
  buffered: 0,
  onMessage: (listener) => (handler = listener),
  onClose: () => undefined,
  close: () => undefined,
};
new DhtControl(peer, new EventStream({ peer: 'peer-1', now: () => 0 }), counters).accept(channel);

function checkRefusal(reply: string | undefined, input: number, what: string): void {
  check(reply !== undefined, `${what}: a refused frame got no reply`);
  check(reply.length <= 2 * input + 2048, `${what}: a ${reply.length}-byte reply to a ${input}-byte frame`);
  const value = parseJson(reply) as { id?: unknown } | undefined;
  const response = controlResponseSchema.safeParse(value);
  check(response.success && !response.data.ok, `${what}: the reply to a refused frame is not an error response`);
}

export const target: FuzzTarget = {
  name: 'control-request',
  description: "a peer's control channel: the DHT endpoint whole, the key-value peer's request parsing",
  json: true,
  maxLength: 4096,
  dictionary: [
    '"req"', '"command"', '"type"', '"inspect"', '"members"', '"kv"', '"faults"', '"leave"', '"remove"', '"subscribe"', '"begin"',
    '"dht.init"', '"dht.join"', '"line"', '"records"', '"messages"', '"plan"', '"op"', '"put"', '"read"', '"key"', '"value"',
    '"binary"', '"peer"', '"start"', '"first"', '"second"', '"known"', '"loss"', '"delay"', '"links"', '"partitions"',
  ],
  fuzz(data) {
    const text = data.toString('utf8');
    const input = data.length;

    // The circular DHT peer's endpoint.
    const parsed = parseRequest(text);
    check(Number.isSafeInteger(parsed.id) && parsed.id >= 0, 'parseRequest: an id that is not a request id');
    checkProportion(parsed.problem, input, 'parseRequest');
    if (parsed.command !== undefined) {
      check(parsed.problem === '', 'parseRequest: a command and a problem at once');
      checkSchema(dhtControlRequestSchema, { t: 'req', id: parsed.id, command: parsed.command }, input, 'DHT control request');
    } else check(parsed.problem !== '', 'parseRequest: neither a command nor a problem');
    replies = [];
    handler?.(text);
    const sent = replies;
    replies = undefined;
    if (parsed.command === undefined) {
      check(sent.length === 1, () => `DHT control: ${sent.length} replies to a refused frame`);
      checkRefusal(sent[0], input, 'DHT control');
    } else check(sent.length === 0 || parsed.command.type === 'subscribe', 'DHT control: an accepted request answered before it ran');

    // The key-value peer's parsing (PeerProcess.#onControl), step by step.
    const value = parseJson(text);
    const request = checkSchema(controlRequestSchema, value, input, 'key-value control request');
    if (request === undefined) {
      const result = controlRequestSchema.safeParse(value);
      const id = replyId(value);
      const reply = JSON.stringify({ t: 'res', id, ok: false, error: `invalid control request: ${result.error?.issues[0]?.message ?? 'not JSON'}` });
      checkRefusal(reply, input, 'key-value control');
    }
  },
};
