import type { LogEntry, LogSpec } from "../log.js";

type Reader = { next: number | "next"; onEntry: (e: LogEntry) => void; closed: boolean };

/**
 * A stream queue in memory: entries numbered from 0, dropped by age (checked on append), read by any number of
 * readers from any offset. Readers are handed entries on a later tick, as from a socket, and only while `live`.
 */
export class MemoryLog {
  readonly #entries: { at: number; entry: LogEntry }[] = [];
  #first = 0;
  readonly #readers = new Set<Reader>();

  constructor(
    readonly spec: LogSpec,
    private readonly clock: () => number = Date.now,
  ) {}

  append(e: Omit<LogEntry, "offset">): void {
    const now = this.clock();
    while ((this.#entries[0]?.at ?? now) < now - this.spec.maxAgeSeconds * 1000) {
      this.#entries.shift();
      this.#first++;
    }
    this.#entries.push({ at: now, entry: { ...e, offset: this.#first + this.#entries.length } });
  }

  /** The offset the next append gets. */
  get end(): number {
    return this.#first + this.#entries.length;
  }

  addReader(from: number | "next", onEntry: (e: LogEntry) => void): Reader {
    const r: Reader = { next: from === "next" ? this.end : from, onEntry, closed: false };
    this.#readers.add(r);
    return r;
  }

  removeReader(r: Reader): void {
    r.closed = true;
    this.#readers.delete(r);
  }

  /** Hands every reader what it has not seen yet. */
  dispatch(): void {
    for (const r of this.#readers) {
      let next = typeof r.next === "number" ? Math.max(r.next, this.#first) : this.end;
      while (!r.closed && next < this.end) {
        const item = this.#entries[next - this.#first];
        next++;
        r.next = next;
        if (item) r.onEntry(item.entry);
      }
      r.next = next;
    }
  }
}
