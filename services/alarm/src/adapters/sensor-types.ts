import type { SensorScopeReader } from "@sensorstream/sensors";
import { LRUCache } from "lru-cache";

/** Sensors whose type is kept at most; the least recently used go first. */
const MAX_ENTRIES = 100_000;
/** A sensor's type (or its registration) is seen by rules scoped by type within this long. */
const TTL_MS = 30_000;

/**
 * Sensor types for rules scoped by type, read from the registry's table (libs/sensors) and kept 30 s: a batch asks
 * only for the sensors it has not seen lately, so the query is skipped in the steady state.
 */
export class SensorTypes {
  readonly #cache = new LRUCache<string, { type: string | null }>({ max: MAX_ENTRIES, ttl: TTL_MS });

  constructor(private readonly reader: SensorScopeReader) {}

  async of(ids: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = this.#cache.get(id);
      if (hit) out.set(id, hit.type);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const found = await this.reader.types(missing);
      // An unregistered sensor is cached too (no type): it matches no type scope until it registers.
      for (const id of missing) {
        const type = found.get(id) ?? null;
        this.#cache.set(id, { type });
        out.set(id, type);
      }
    }
    return out;
  }
}
