/**
 * Mutations, after libFuzzer's: a few stacked byte-level edits (erase, insert, repeat, flip,
 * shuffle, copy, cross over with another corpus input, splice a dictionary token, change an
 * ASCII number), and for JSON targets edits of the parsed value (replace, delete, add, duplicate
 * or nest a node, graft a subtree of another input, nudge a number across a bound).
 */
import type { Random } from './random.ts';

/** Numbers on or next to the bounds the schemas use. */
const INTERESTING_NUMBERS = [
  0, -0, 1, -1, 2, 3, 7, 8, 10, 16, 32, 63, 64, 127, 128, 255, 256, 1000, 1024, 4095, 4096, 4097, 10_000, 65_535, 65_536,
  100_000, 100_001, 1_048_576, 2 ** 29 - 1, 2 ** 29, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 53, -(2 ** 53), 0.5, 1.5, 1e-7,
  1e21, 1e308, -1e308,
];

export interface MutatorOptions {
  readonly maxLength: number;
  readonly json: boolean;
  readonly dictionary: readonly string[];
}

export class Mutator {
  readonly #random: Random;
  readonly #options: MutatorOptions;
  readonly #tokens: readonly Buffer[];

  constructor(random: Random, options: MutatorOptions) {
    this.#random = random;
    this.#options = options;
    this.#tokens = options.dictionary.map((token) => Buffer.from(token, 'utf8'));
  }

  /** A new input made from `input` (and maybe `other`, for cross-over). */
  mutate(input: Buffer, other: Buffer): Buffer {
    const random = this.#random;
    let data = input;
    if (this.#options.json && random.chance(0.4)) {
      const edited = this.#mutateJson(data, other);
      if (edited !== undefined) data = edited;
      if (random.chance(0.7)) return this.#cut(data);
    }
    const depth = 1 + random.below(5);
    for (let step = 0; step < depth; step++) data = this.#mutateBytes(data, other);
    return this.#cut(data);
  }

  #cut(data: Buffer): Buffer {
    return data.length > this.#options.maxLength ? data.subarray(0, this.#options.maxLength) : data;
  }

  #mutateBytes(data: Buffer, other: Buffer): Buffer {
    const random = this.#random;
    const length = data.length;
    const at = (bound: number): number => random.below(bound + 1);
    switch (random.below(11)) {
      case 0: {
        // Erase a run of bytes.
        if (length === 0) return data;
        const start = at(length - 1);
        const count = 1 + random.below(Math.min(16, length - start));
        return Buffer.concat([data.subarray(0, start), data.subarray(start + count)]);
      }
      case 1: {
        // Insert one byte (often printable).
        const byte = random.chance(0.7) ? 0x20 + random.below(95) : random.below(256);
        const start = at(length);
        return Buffer.concat([data.subarray(0, start), Buffer.of(byte), data.subarray(start)]);
      }
      case 2: {
        // Insert a byte repeated, sometimes many times (lengths, nesting).
        const byte = random.pick([0x5b, 0x7b, 0x30, 0x39, 0x2a, 0x24, 0x0d, 0x0a, 0x22, 0x5c, random.below(256)]);
        const count = random.chance(0.2) ? 1 + random.below(2048) : 1 + random.below(32);
        const start = at(length);
        return Buffer.concat([data.subarray(0, start), Buffer.alloc(count, byte), data.subarray(start)]);
      }
      case 3: {
        // Change a byte.
        if (length === 0) return data;
        const copy = Buffer.from(data);
        copy[random.below(length)] = random.below(256);
        return copy;
      }
      case 4: {
        // Flip a bit.
        if (length === 0) return data;
        const copy = Buffer.from(data);
        const index = random.below(length);
        copy[index] = (copy[index] as number) ^ (1 << random.below(8));
        return copy;
      }
      case 5: {
        // Shuffle a few bytes.
        if (length < 2) return data;
        const copy = Buffer.from(data);
        const start = random.below(length - 1);
        const end = Math.min(length, start + 2 + random.below(8));
        for (let index = end - 1; index > start; index--) {
          const swap = start + random.below(index - start + 1);
          const byte = copy[index] as number;
          copy[index] = copy[swap] as number;
          copy[swap] = byte;
        }
        return copy;
      }
      case 6: {
        // Copy a part of the input over or into another place of it.
        if (length === 0) return data;
        const start = random.below(length);
        const part = data.subarray(start, start + 1 + random.below(Math.min(64, length - start)));
        const to = at(length);
        return random.chance(0.5)
          ? Buffer.concat([data.subarray(0, to), part, data.subarray(to)])
          : Buffer.concat([data.subarray(0, to), part, data.subarray(Math.min(length, to + part.length))]);
      }
      case 7: {
        // Cross over: a prefix of this input, a part of another.
        if (other.length === 0) return data;
        const cut = at(length);
        const from = random.below(other.length);
        return Buffer.concat([data.subarray(0, cut), other.subarray(from, from + 1 + random.below(other.length - from))]);
      }
      case 8:
      case 9: {
        // Splice in a dictionary token (insert or overwrite).
        if (this.#tokens.length === 0) return data;
        const token = random.pick(this.#tokens);
        const start = at(length);
        return random.chance(0.5)
          ? Buffer.concat([data.subarray(0, start), token, data.subarray(start)])
          : Buffer.concat([data.subarray(0, start), token, data.subarray(Math.min(length, start + token.length))]);
      }
      default: {
        // Change an ASCII number in place.
        const text = data.toString('latin1');
        const numbers = [...text.matchAll(/-?\d+/g)];
        if (numbers.length === 0) return data;
        const match = random.pick(numbers);
        const value = Number(match[0]);
        const replacement = String(
          random.pick([value + 1, value - 1, value * 2, -value, 0, random.pick(INTERESTING_NUMBERS), Math.floor(value / 2)]),
        );
        const start = match.index;
        return Buffer.concat([data.subarray(0, start), Buffer.from(replacement, 'latin1'), data.subarray(start + match[0].length)]);
      }
    }
  }

  #mutateJson(data: Buffer, other: Buffer): Buffer | undefined {
    const root = parse(data);
    if (root === undefined) return undefined;
    const donor = parse(other);
    const random = this.#random;
    const edits = 1 + random.below(3);
    let value = root.value;
    for (let step = 0; step < edits; step++) value = this.#editJson(value, donor?.value);
    const text = JSON.stringify(value);
    return text === undefined ? undefined : Buffer.from(text, 'utf8');
  }

  /** `value` with one node replaced, removed, added, duplicated or nested. */
  #editJson(value: unknown, donor: unknown): unknown {
    const random = this.#random;
    const nodes: { parent: Record<string, unknown> | unknown[] | undefined; key: string | number; node: unknown }[] = [];
    const walk = (node: unknown, parent: Record<string, unknown> | unknown[] | undefined, key: string | number, depth: number): void => {
      nodes.push({ parent, key, node });
      if (depth > 64 || node === null || typeof node !== 'object') return;
      if (Array.isArray(node)) node.forEach((item, index) => walk(item, node, index, depth + 1));
      else for (const [name, item] of Object.entries(node)) walk(item, node as Record<string, unknown>, name, depth + 1);
    };
    walk(value, undefined, '', 0);
    const { parent, key, node } = random.pick(nodes);
    const replace = (next: unknown): unknown => {
      if (parent === undefined) return next;
      if (Array.isArray(parent)) parent[key as number] = next;
      else setMember(parent, key as string, next);
      return value;
    };
    switch (random.below(8)) {
      case 0:
        return replace(this.#scalar());
      case 1:
        // Remove a node from its object or array.
        if (parent === undefined) return random.chance(0.5) ? {} : [];
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
        return value;
      case 2:
        // Add a member named by the dictionary, or an array element.
        if (Array.isArray(node)) node.splice(random.below(node.length + 1), 0, this.#scalar());
        else if (node !== null && typeof node === 'object') setMember(node as Record<string, unknown>, this.#word(), this.#scalar());
        else return replace(this.#scalar());
        return value;
      case 3:
        // Duplicate an array element many times (lists at and past their bounds).
        if (Array.isArray(node) && node.length > 0) {
          const item = node[random.below(node.length)];
          const count = random.chance(0.3) ? 1 + random.below(300) : 1 + random.below(4);
          for (let index = 0; index < count; index++) node.push(structuredClone(item));
          return value;
        }
        return replace([node]);
      case 4:
        // Nest the node one level deeper.
        return replace(random.chance(0.5) ? [node] : setMember({}, this.#word(), node));
      case 5: {
        // Graft a subtree of another input.
        if (donor === undefined) return replace(this.#scalar());
        const picks: unknown[] = [];
        const collect = (item: unknown, depth: number): void => {
          picks.push(item);
          if (depth > 32 || item === null || typeof item !== 'object') return;
          for (const child of Array.isArray(item) ? item : Object.values(item)) collect(child, depth + 1);
        };
        collect(donor, 0);
        return replace(structuredClone(random.pick(picks)));
      }
      case 6:
        // Nudge a number across a bound, or turn a string into another type.
        if (typeof node === 'number') return replace(random.pick([node + 1, node - 1, -node, node + 0.5, node * 2, random.pick(INTERESTING_NUMBERS)]));
        if (typeof node === 'string') return replace(random.pick([Number(node), node + node, node.slice(1), `${node}\n`, node.toUpperCase(), [node], null]));
        return replace(this.#scalar());
      default:
        // Change the type of a container, or empty it.
        if (Array.isArray(node)) return replace(Object.fromEntries(node.map((item, index) => [String(index), item])));
        if (node !== null && typeof node === 'object') return replace(random.chance(0.5) ? Object.values(node) : {});
        return replace(this.#scalar());
    }
  }

  #word(): string {
    const random = this.#random;
    if (this.#options.dictionary.length > 0 && random.chance(0.8)) {
      const token = random.pick(this.#options.dictionary);
      const unquoted = /^"(.*)"$/.exec(token);
      return unquoted?.[1] ?? token;
    }
    return random.pick(['__proto__', 'constructor', 'toString', '', 'type', 't', 'id', 'x']);
  }

  #scalar(): unknown {
    const random = this.#random;
    switch (random.below(6)) {
      case 0:
        return random.pick(INTERESTING_NUMBERS);
      case 1:
        return this.#word();
      case 2:
        return random.pick([true, false, null]);
      case 3:
        return random.pick(['', 'a'.repeat(1 + random.below(5000)), '\u0000', '\r\n', '\ud800', 'é', '0'.repeat(32), 'f'.repeat(64)]);
      case 4:
        return random.chance(0.5) ? [] : {};
      default:
        return random.below(100_000) - 50_000;
    }
  }
}

/** Sets an own member, `__proto__` too (as JSON.parse makes it), so that it is sent. */
function setMember(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  return object;
}

function parse(data: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(data.toString('utf8')) as unknown };
  } catch {
    return undefined;
  }
}

/** The tokens of seed inputs worth splicing: JSON strings (quoted) and member names. */
export function tokensOf(inputs: readonly Buffer[]): string[] {
  const tokens = new Set<string>();
  for (const input of inputs) {
    for (const match of input.toString('utf8').matchAll(/"(?:[^"\\]|\\.){1,64}"/g)) tokens.add(match[0]);
  }
  return [...tokens];
}
