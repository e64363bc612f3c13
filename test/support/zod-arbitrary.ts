/**
 * Values of a zod schema's shape, for fast-check: `validOf(schema)` makes values the schema
 * accepts (objects with their required and some optional members, strings within their lengths
 * and patterns, integers within their bounds), so that properties can say "every valid message"
 * without a hand-written arbitrary per message. It knows the zod kinds the wire schemas use;
 * refinements it cannot see are met by filtering on `safeParse`.
 */
import fc from 'fast-check';
import type { z } from 'zod';

/** Arrays and records are kept short: shapes matter here, not volume. */
const ITEMS_MAX = 3;
/** Strings without a stated maximum are kept short too. */
const STRING_LENGTH_MAX = 24;
/** Characters that JSON escapes or that schemas refuse, and a few outside ASCII. */
const AWKWARD = ['a', ' ', '"', '\\', '\n', '\r', '\u0000', '\u001f', '\u007f', '\u2028', 'é', '\ud83d\ude00', '\ud800'];

interface Check {
  readonly check: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly value?: number | bigint;
  readonly inclusive?: boolean;
  readonly format?: string;
  readonly pattern?: RegExp;
}

interface Definition {
  readonly type: string;
  readonly checks?: readonly { readonly _zod: { readonly def: Check } }[];
  readonly innerType?: z.ZodType;
  readonly shape?: Readonly<Record<string, z.ZodType>>;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly values?: readonly unknown[];
  readonly entries?: Readonly<Record<string, string | number>>;
  readonly items?: readonly z.ZodType[];
  readonly keyType?: z.ZodType;
  readonly valueType?: z.ZodType;
  readonly in?: z.ZodType;
}

function definition(schema: z.ZodType): Definition {
  return (schema as unknown as { _zod: { def: Definition } })._zod.def;
}

function checks(schema: z.ZodType): Check[] {
  return (definition(schema).checks ?? []).map((item) => item._zod.def);
}

/** Whether an object member may be left out (`optional`, or filled by a `default`). */
function omittable(schema: z.ZodType): boolean {
  const type = definition(schema).type;
  return type === 'optional' || type === 'default';
}

/** Values of the schema's shape: most are accepted; `validOf` keeps those that are. */
export function shapeOf(schema: z.ZodType): fc.Arbitrary<unknown> {
  const def = definition(schema);
  switch (def.type) {
    case 'string': {
      const all = checks(schema);
      const min = Math.max(0, ...all.filter((item) => item.check === 'min_length').map((item) => item.minimum ?? 0));
      const max = Math.min(...all.filter((item) => item.check === 'max_length').map((item) => item.maximum ?? Infinity));
      const pattern = all.find((item) => item.check === 'string_format' && item.pattern !== undefined)?.pattern;
      const length = { minLength: min, maxLength: Math.min(max, Math.max(min, STRING_LENGTH_MAX)) };
      const strings =
        pattern !== undefined
          ? fc.stringMatching(pattern)
          : fc.oneof(fc.string({ ...length, unit: 'grapheme-ascii' }), fc.string({ ...length, unit: 'grapheme' }), fc.string({ ...length, unit: fc.constantFrom(...AWKWARD) }));
      // Refinements (no control characters, …) are met here, string by string, not by
      // rejecting whole messages.
      return strings.filter((text) => text.length >= min && text.length <= max && schema.safeParse(text).success);
    }
    case 'number': {
      const all = checks(schema);
      const integer = all.some((item) => item.check === 'number_format' && (item.format === 'safeint' || item.format === 'int32'));
      let min = integer ? Number.MIN_SAFE_INTEGER : -1e9;
      let max = integer ? Number.MAX_SAFE_INTEGER : 1e9;
      for (const item of all) {
        const bound = Number(item.value);
        if (item.check === 'greater_than') min = Math.max(min, item.inclusive ? bound : bound + (integer ? 1 : Number.EPSILON));
        if (item.check === 'less_than') max = Math.min(max, item.inclusive ? bound : bound - (integer ? 1 : Number.EPSILON));
      }
      const near = fc.constantFrom(min, max, Math.min(max, Math.max(min, 0)), Math.min(max, Math.max(min, 1)));
      return integer
        ? fc.oneof(near, fc.integer({ min: Math.ceil(min), max: Math.floor(max) }))
        : fc.oneof(near, fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((value) => (Object.is(value, -0) ? 0 : value)));
    }
    case 'boolean':
      return fc.boolean();
    case 'literal':
      return fc.constantFrom(...(def.values ?? []));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? {}));
    case 'null':
      return fc.constant(null);
    case 'unknown':
    case 'any':
      return fc.jsonValue({ maxDepth: 2 });
    case 'optional':
    case 'default':
      return shapeOf(def.innerType as z.ZodType);
    case 'nullable':
      return fc.option(shapeOf(def.innerType as z.ZodType), { nil: null });
    case 'object': {
      const shape = def.shape ?? {};
      const members = Object.fromEntries(Object.entries(shape).map(([key, member]) => [key, shapeOf(member)]));
      const required = Object.entries(shape)
        .filter(([, member]) => !omittable(member))
        .map(([key]) => key);
      return fc.record(members, { requiredKeys: required });
    }
    case 'array': {
      const all = checks(schema);
      const min = Math.max(0, ...all.filter((item) => item.check === 'min_length').map((item) => item.minimum ?? 0));
      const max = Math.min(...all.filter((item) => item.check === 'max_length').map((item) => item.maximum ?? Infinity), Math.max(min, ITEMS_MAX));
      return fc.array(shapeOf(def.element as z.ZodType), { minLength: min, maxLength: max });
    }
    case 'tuple':
      return fc.tuple(...(def.items ?? []).map((item) => shapeOf(item)));
    case 'record':
      return fc.dictionary(shapeOf(def.keyType as z.ZodType) as fc.Arbitrary<string>, shapeOf(def.valueType as z.ZodType), { maxKeys: ITEMS_MAX });
    case 'union':
      return fc.oneof(...(def.options ?? []).map((option) => shapeOf(option)));
    case 'pipe':
      return shapeOf(def.in as z.ZodType);
    default:
      throw new Error(`zod-arbitrary: no arbitrary for zod type '${def.type}'`);
  }
}

/** Values the schema accepts, as sent (before the schema's defaults fill them in). */
export function validOf<Schema extends z.ZodType>(schema: Schema): fc.Arbitrary<z.input<Schema>> {
  return shapeOf(schema).filter((value) => schema.safeParse(value).success) as fc.Arbitrary<z.input<Schema>>;
}
