/**
 * The cluster API's JSON: what a client sends the manager. The web server takes a request frame
 * on its WebSocket (JSON.parse, then `apiRequestSchema`, then an error reply carrying the id when
 * there is one) and a command as the body of a POST to /api (JSON.parse, then `apiCommandSchema`);
 * the Electron bridge takes a command (`apiCommandSchema` on a structured clone, which a parsed
 * JSON value stands for here). Those steps live inside the server's handlers, so they are taken
 * here on the same schemas, in the same order.
 *
 * Invariants: nothing throws; a refusal names its first issue; an accepted request or command
 * round-trips through JSON and the schema and is in proportion to the input; the WebSocket's
 * error reply is a response the window's client can read.
 */
import { apiCommandSchema, apiRequestSchema, apiResponseSchema } from '../../src/shared/api/cluster-api.ts';
import { replyId } from '../../src/shared/protocol/control.ts';
import { check, type FuzzTarget } from '../engine/target.ts';
import { checkSchema, parseJson } from './support.ts';

export const target: FuzzTarget = {
  name: 'api-json',
  description: "the cluster API's requests (WebSocket), commands (HTTP POST, the Electron bridge)",
  json: true,
  maxLength: 4096,
  dictionary: apiCommandSchema.options.map((option) => JSON.stringify(option.shape.type.value)).concat(['"req"', '"command"', '"peer"', '"plan"', '"spec"', '"via"']),
  fuzz(data) {
    const text = data.toString('utf8');
    const value = parseJson(text);

    // The WebSocket route.
    const request = checkSchema(apiRequestSchema, value, data.length, 'API request');
    if (request === undefined) {
      const result = apiRequestSchema.safeParse(value);
      const id = replyId(value);
      const reply = JSON.stringify({ t: 'res', id, ok: false, error: `not a request: ${result.error?.issues[0]?.message ?? 'invalid'}` });
      check(reply.length <= 2 * data.length + 2048, `API request: a ${reply.length}-byte reply to a ${data.length}-byte frame`);
      check(apiResponseSchema.safeParse(JSON.parse(reply)).success, 'API request: the error reply is not a response');
    }

    // The POST route and the Electron bridge.
    checkSchema(apiCommandSchema, value, data.length, 'API command');
  },
};
