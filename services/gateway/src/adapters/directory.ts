import type { Pool } from "@sensorstream/db";

type Entry<T> = { value: T | null; until: number };

/**
 * Reads credentials from the registry's tables, with a short cache so a reconnect storm does not
 * become a query storm. A rotated token or a deleted sensor takes effect within `ttlMs`.
 */
export class CredentialDirectory {
  readonly #sensors = new Map<string, Entry<string>>();
  readonly #subscribers = new Map<string, Entry<{ tokenHash: string; topics: string[] }>>();

  constructor(
    private readonly pool: Pool,
    private readonly ttlMs = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async sensorTokenHash(id: string): Promise<string | null> {
    return this.#cached(this.#sensors, id, async () => {
      const r = await this.pool.query<{ token_hash: string | null }>("SELECT token_hash FROM sensors WHERE id = $1", [
        id,
      ]);
      return r.rows[0]?.token_hash ?? null;
    });
  }

  async subscriber(name: string): Promise<{ tokenHash: string; topics: string[] } | null> {
    return this.#cached(this.#subscribers, name, async () => {
      const r = await this.pool.query<{ token_hash: string; topics: string[] }>(
        "SELECT token_hash, topics FROM mqtt_subscribers WHERE name = $1",
        [name],
      );
      const row = r.rows[0];
      return row ? { tokenHash: row.token_hash, topics: row.topics } : null;
    });
  }

  async #cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T | null>): Promise<T | null> {
    const hit = map.get(key);
    const now = this.clock();
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    if (map.size > 100_000) map.clear();
    map.set(key, { value, until: now + this.ttlMs });
    return value;
  }
}
