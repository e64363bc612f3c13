/**
 * Writes the seed inputs of the fuzz targets (`fuzz/corpus/<target>/seed-*`): for the JSON
 * targets, one valid value per message or command type, made from the schemas' shapes
 * (`test/support/zod-arbitrary.ts`) with a fixed seed, so the seeds follow the schemas when
 * they change; for the Redis parser, requests as clients send them. Findings (`crash-*`, …) and
 * inputs added by hand are left alone.
 *
 *   node fuzz/seeds.ts
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { z } from 'zod';
import { apiRequestSchema } from '../src/shared/api/cluster-api.ts';
import { authSchema, controlRequestSchema, dhtControlRequestSchema, helloSchema, welcomeSchema } from '../src/shared/protocol/control.ts';
import { dhtMessageSchema } from '../src/shared/protocol/dht.ts';
import { kvMessageSchema } from '../src/shared/protocol/kv.ts';
import { gossipMessageSchema, swimMessageSchema } from '../src/shared/protocol/membership.ts';
import { validOf } from '../test/support/zod-arbitrary.ts';
import { CORPUS_ROOT } from './engine/fuzzer.ts';

/** The options of a discriminated union (or the schema itself), named by their `type`. */
function variants(schema: z.ZodType, wrap: (value: unknown) => unknown = (value) => value): [string, fc.Arbitrary<unknown>][] {
  const options = (schema as unknown as { options?: z.ZodType[] }).options ?? [schema];
  return options.map((option) => {
    const shape = (option as unknown as { shape: Record<string, { value?: unknown }> }).shape;
    const name = String(shape['type']?.value ?? shape['t']?.value);
    return [name, validOf(option).map(wrap)];
  });
}

function request(schema: z.ZodType): [string, fc.Arbitrary<unknown>][] {
  const command = (schema as unknown as { shape: { command: z.ZodType } }).shape.command;
  return variants(command).map(([name, commands]) => [name, fc.tuple(fc.nat({ max: 1000 }), commands).map(([id, value]) => ({ t: 'req', id, command: value }))]);
}

const JSON_SEEDS: Record<string, [string, fc.Arbitrary<unknown>][]> = {
  'peer-frame': [
    ...variants(gossipMessageSchema),
    ...variants(swimMessageSchema),
    ...variants(kvMessageSchema),
    ...variants(dhtMessageSchema),
    ...variants(authSchema),
    ...variants(helloSchema),
    ...variants(welcomeSchema),
  ],
  'control-request': [...request(controlRequestSchema).map(([name, values]): [string, fc.Arbitrary<unknown>] => [`kv-${name}`, values]), ...request(dhtControlRequestSchema).map(([name, values]): [string, fc.Arbitrary<unknown>] => [`dht-${name}`, values])],
  'api-json': request(apiRequestSchema),
};

const RESP_SEEDS: Record<string, string> = {
  ping: '*1\r\n$4\r\nPING\r\n',
  set: '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n',
  'set-nx': '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n$2\r\nNX\r\n',
  pipeline: '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n*1\r\n$4\r\nQUIT\r\n',
  'inline-quoted': 'SET k "two words\\n\\x41" \'it\\\'s\'\r\nGET k\n\r\n',
  'inline-then-multibulk': 'PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n',
  'empty-and-null': '*0\r\n*-1\r\n*1\r\n$4\r\nINFO\r\n',
  auth: '*2\r\n$4\r\nAUTH\r\n$8\r\npassword\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n',
  binary: Buffer.from([...Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$4\r\n'), 0, 0xff, 0x0d, 0x0a, ...Buffer.from('\r\n')]).toString('latin1'),
};

function reset(folder: string): void {
  mkdirSync(folder, { recursive: true });
  for (const name of readdirSync(folder)) if (name.startsWith('seed-')) rmSync(join(folder, name));
}

for (const [target, kinds] of Object.entries(JSON_SEEDS)) {
  const folder = join(CORPUS_ROOT, target);
  reset(folder);
  for (const [index, [name, values]] of kinds.entries()) {
    const [value] = fc.sample(values, { numRuns: 1, seed: 20_261_207 + index });
    writeFileSync(join(folder, `seed-${name}.json`), JSON.stringify(value));
  }
  process.stdout.write(`${target}: ${kinds.length} seeds\n`);
}
const respFolder = join(CORPUS_ROOT, 'resp-request');
reset(respFolder);
for (const [name, text] of Object.entries(RESP_SEEDS)) writeFileSync(join(respFolder, `seed-${name}`), Buffer.from(text, 'latin1'));
process.stdout.write(`resp-request: ${Object.keys(RESP_SEEDS).length} seeds\n`);
