/**
 * A binary min-heap of (time, sensor index): the scheduler's one timer only looks at the
 * sensors that are due, so a fleet of thousands costs O(log n) per message, not O(n) per tick.
 */
export class DueQueue {
  readonly #at: number[] = [];
  readonly #index: number[] = [];
  readonly #tag: number[] = [];

  get size(): number {
    return this.#at.length;
  }

  /** The earliest time in the queue, or undefined when empty. */
  peekTime(): number | undefined {
    return this.#at[0];
  }

  /** `tag` travels with the entry (the fleet uses it to drop entries a command has superseded). */
  push(at: number, index: number, tag = 0): void {
    this.#at.push(at);
    this.#index.push(index);
    this.#tag.push(tag);
    let i = this.#at.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#time(parent) <= at) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns the sensor index with the earliest time, or undefined when empty. */
  pop(): number | undefined {
    return this.popEntry()?.index;
  }

  /** Removes and returns the earliest entry, or undefined when empty. */
  popEntry(): { index: number; tag: number } | undefined {
    const index = this.#index[0];
    const tag = this.#tag[0];
    const lastAt = this.#at.pop();
    const lastIndex = this.#index.pop();
    const lastTag = this.#tag.pop();
    if (index === undefined || tag === undefined || lastAt === undefined || lastIndex === undefined) return undefined;
    const top = { index, tag };
    if (this.#at.length === 0) return top;
    this.#at[0] = lastAt;
    this.#index[0] = lastIndex;
    this.#tag[0] = lastTag ?? 0;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < this.#at.length && this.#time(left) < this.#time(least)) least = left;
      if (right < this.#at.length && this.#time(right) < this.#time(least)) least = right;
      if (least === i) return top;
      this.#swap(i, least);
      i = least;
    }
  }

  clear(): void {
    this.#at.length = 0;
    this.#index.length = 0;
    this.#tag.length = 0;
  }

  #time(i: number): number {
    return this.#at[i] ?? Number.POSITIVE_INFINITY;
  }

  #swap(a: number, b: number): void {
    const at = this.#at;
    const index = this.#index;
    const tag = this.#tag;
    [at[a], at[b]] = [at[b] as number, at[a] as number];
    [index[a], index[b]] = [index[b] as number, index[a] as number];
    [tag[a], tag[b]] = [tag[b] as number, tag[a] as number];
  }
}
