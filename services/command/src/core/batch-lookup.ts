/**
 * Lookups by key that share one query: keys asked for in the same tick, or while the previous query runs, go
 * together into the next one (at most `maxKeys`). A burst of presence changes (a fleet reconnecting) then costs a few
 * queries instead of one per sensor. A failed query rejects every lookup it carried; the next starts afresh.
 */
export class BatchLookup<V> {
  #waiting = new Map<string, { resolve: (v: V | undefined) => void; reject: (err: unknown) => void }[]>();
  #running = false;

  constructor(
    private readonly load: (keys: readonly string[]) => Promise<ReadonlyMap<string, V>>,
    private readonly maxKeys = 500,
  ) {}

  get(key: string): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.#waiting.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.#waiting.set(key, [{ resolve, reject }]);
      if (!this.#running) {
        this.#running = true;
        queueMicrotask(() => void this.#next());
      }
    });
  }

  async #next(): Promise<void> {
    const batch = new Map<string, { resolve: (v: V | undefined) => void; reject: (err: unknown) => void }[]>();
    for (const [key, waiters] of this.#waiting) {
      if (batch.size === this.maxKeys) break;
      batch.set(key, waiters);
    }
    for (const key of batch.keys()) this.#waiting.delete(key);
    try {
      const found = await this.load([...batch.keys()]);
      for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key));
    } catch (err) {
      for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
    }
    if (this.#waiting.size > 0) queueMicrotask(() => void this.#next());
    else this.#running = false;
  }
}
