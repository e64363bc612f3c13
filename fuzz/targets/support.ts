/** What the JSON-boundary targets share: the checks every decoded value must pass. */
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { check } from '../engine/target.ts';

/** A value some input decoded to is at most this much larger than the input (defaults add a little). */
export function checkProportion(value: unknown, input: number, what: string): void {
  const size = (JSON.stringify(value) ?? '').length;
  check(size <= 2 * input + 2048, () => `${what}: ${input} bytes of input decoded to ${size} bytes of value`);
}

/** JSON.parse as the boundaries call it: the value, or undefined for text that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * What a boundary does with a parsed value: `safeParse`, then the first issue's message for the
 * error reply. On success the value is encoded again and must parse to the same value.
 */
export function checkSchema<Schema extends z.ZodType>(schema: Schema, value: unknown, input: number, what: string): z.infer<Schema> | undefined {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    check(issue !== undefined && typeof issue.message === 'string', `${what}: a refusal with no issue to report`);
    // The boundaries name the issue's path in their replies.
    check(issue.path.every((part) => typeof part === 'string' || typeof part === 'number'), `${what}: an issue path that cannot be joined`);
    return undefined;
  }
  checkProportion(parsed.data, input, what);
  const again = schema.safeParse(JSON.parse(JSON.stringify(parsed.data)));
  check(again.success, () => `${what}: an accepted value is refused once encoded again: ${again.error?.issues[0]?.message}`);
  check(isDeepStrictEqual(again.data, parsed.data), `${what}: an accepted value changes when encoded and parsed again`);
  return parsed.data;
}
