/**
 * The file names a peer holds: those whose Store it accepted and those handed to it. A name
 * handed on to another peer stays on the shelf until that peer acknowledges it, so a handover to
 * a peer that leaves or dies on the way loses nothing.
 */
export class FileShelf {
  readonly #held = new Set<string>();
  /** File → the peer it was handed to, awaiting acknowledgement. */
  readonly #handedTo = new Map<string, number>();

  add(file: string): void {
    this.#held.add(file);
    this.#handedTo.delete(file);
  }

  has(file: string): boolean {
    return this.#held.has(file);
  }

  get size(): number {
    return this.#held.size;
  }

  /** Sorted, for views and tests. */
  list(): string[] {
    return [...this.#held].sort();
  }

  /** Records that `files` are on their way to `peer`; returns them. */
  handOver(files: readonly string[], peer: number): readonly string[] {
    for (const file of files) this.#handedTo.set(file, peer);
    return files;
  }

  /** `peer` has `files` now: those handed to it leave the shelf. */
  acknowledged(files: readonly string[], peer: number): void {
    for (const file of files) {
      if (this.#handedTo.get(file) !== peer) continue;
      this.#handedTo.delete(file);
      this.#held.delete(file);
    }
  }
}
