/**
 * SWIM's member table, stored column-wise in typed arrays indexed by a slot number so that a
 * thousand-peer simulation (where every peer knows every other: N² rows) fits in memory:
 * 16 bytes a row instead of a few hundred for a Map of objects. State and incarnation share one
 * 32-bit word (incarnation × 8 + state), so reading a row costs one memory access.
 *
 * Slots come from a `SlotRegistry`, which only maps ids to small integers. A real peer has its
 * own; the simulator shares one between all its peers so each table indexes the same slots.
 */
import { assert, type PeerId, type Tick } from '../../machine.ts';
import { INCARNATION_MAX, type SwimState } from '../../protocol/membership.ts';

export class SlotRegistry {
  readonly #slots = new Map<PeerId, number>();
  readonly #ids: PeerId[] = [];

  slotOf(id: PeerId): number {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      slot = this.#ids.length;
      this.#ids.push(id);
      this.#slots.set(id, slot);
    }
    return slot;
  }

  /** The slot of `id` if it has one; never registers. */
  find(id: PeerId): number | undefined {
    return this.#slots.get(id);
  }

  idOf(slot: number): PeerId {
    const id = this.#ids[slot];
    assert(id !== undefined, `slot ${slot} is not registered`);
    return id;
  }

  get size(): number {
    return this.#ids.length;
  }
}

/** State codes in the low 3 bits of a row; 0 means the slot is not in this table. */
const STATE_CODES: Readonly<Record<SwimState, number>> = { alive: 1, suspect: 2, dead: 3, left: 4 };
const STATES: readonly (SwimState | undefined)[] = [undefined, 'alive', 'suspect', 'dead', 'left'];
const STATE_BITS = 3;
export { INCARNATION_MAX };
const INITIAL_CAPACITY = 16;

export class MemberTable {
  readonly registry: SlotRegistry;
  #capacity = INITIAL_CAPACITY;
  /** incarnation × 8 + state code. */
  #row = new Uint32Array(INITIAL_CAPACITY);
  /** The tick the state last changed (Int32: 6.8 years of 100 ms ticks). */
  #sinceTick = new Int32Array(INITIAL_CAPACITY);
  /** Where each slot sits in `#list`, or -1. */
  #position = new Int32Array(INITIAL_CAPACITY).fill(-1);
  /** The slots present in the table, in probe order. */
  #list = new Int32Array(INITIAL_CAPACITY);
  #length = 0;
  readonly #counts: Record<SwimState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };

  constructor(registry: SlotRegistry) {
    this.registry = registry;
  }

  get length(): number {
    return this.#length;
  }

  count(state: SwimState): number {
    return this.#counts[state];
  }

  /** The slot at `index` of the probe order (0 ≤ index < length). */
  slotAt(index: number): number {
    return this.#list[index] as number;
  }

  state(slot: number): SwimState | undefined {
    return slot < this.#capacity ? STATES[(this.#row[slot] as number) & 7] : undefined;
  }

  incarnation(slot: number): number {
    return (this.#row[slot] as number) >>> STATE_BITS;
  }

  /** True when the slot is in the table with an incarnation at least `incarnation`: old news. */
  knowsAtLeast(slot: number, incarnation: number): boolean {
    if (slot >= this.#capacity) return false;
    const row = this.#row[slot] as number;
    return row !== 0 && row >>> STATE_BITS >= incarnation;
  }

  sinceTick(slot: number): Tick {
    return this.#sinceTick[slot] as number;
  }

  /** Adds the slot or changes its row. */
  set(slot: number, state: SwimState, incarnation: number, now: Tick): void {
    assert(incarnation <= INCARNATION_MAX, 'incarnation fits 29 bits');
    this.#ensureCapacity(slot + 1);
    const previous = STATES[(this.#row[slot] as number) & 7];
    if (previous === undefined) {
      this.#position[slot] = this.#length;
      this.#list[this.#length] = slot;
      this.#length++;
    } else {
      this.#counts[previous]--;
    }
    if (previous !== state) this.#sinceTick[slot] = now;
    this.#counts[state]++;
    this.#row[slot] = incarnation * 8 + STATE_CODES[state];
  }

  /** Forgets the slot (a reaped dead member). */
  delete(slot: number): void {
    const previous = this.state(slot);
    if (previous === undefined) return;
    this.#counts[previous]--;
    this.#row[slot] = 0;
    const index = this.#position[slot] as number;
    const last = this.#list[this.#length - 1] as number;
    this.#list[index] = last;
    this.#position[last] = index;
    this.#position[slot] = -1;
    this.#length--;
  }

  /** Swaps `slot` with whatever sits at `index` of the probe order. */
  swapTo(slot: number, index: number): void {
    const from = this.#position[slot] as number;
    assert(from >= 0 && index >= 0 && index < this.#length, 'swapTo stays inside the table');
    const other = this.#list[index] as number;
    this.#list[index] = slot;
    this.#list[from] = other;
    this.#position[slot] = index;
    this.#position[other] = from;
  }

  /** Fisher-Yates over the probe order, with `randomIndex(n)` in [0, n). */
  shuffle(randomIndex: (length: number) => number): void {
    for (let index = this.#length - 1; index > 0; index--) {
      const other = randomIndex(index + 1);
      const a = this.#list[index] as number;
      const b = this.#list[other] as number;
      this.#list[index] = b;
      this.#list[other] = a;
      this.#position[b] = index;
      this.#position[a] = other;
    }
  }

  #ensureCapacity(needed: number): void {
    if (needed <= this.#capacity) return;
    let capacity = this.#capacity;
    while (capacity < needed) capacity *= 2;
    this.#row = grow(this.#row, new Uint32Array(capacity));
    this.#sinceTick = grow(this.#sinceTick, new Int32Array(capacity));
    this.#position = grow(this.#position, new Int32Array(capacity).fill(-1));
    this.#list = grow(this.#list, new Int32Array(capacity));
    this.#capacity = capacity;
  }
}

function grow<T extends Uint32Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
