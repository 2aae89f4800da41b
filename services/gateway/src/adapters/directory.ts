import type { Pool } from "@sensorstream/db";
import { LRUCache } from "lru-cache";

export type SubscriberCredential = { tokenHash: string; topics: string[] };

/** Credentials kept at most; the least recently used go first (a reconnect storm touches each sensor once). */
const MAX_ENTRIES = 100_000;

/**
 * Reads credentials from the registry's tables, with a short cache so a reconnect storm does not become a query storm.
 * Only found credentials are cached: a failed lookup is never remembered, so a newly created sensor or a new token
 * works at once. `fresh` bypasses the cache (a presented token that does not match, a revocation event).
 */
export class CredentialDirectory {
  readonly #sensors: LRUCache<string, { tokenHash: string }> | undefined;
  readonly #subscribers: LRUCache<string, SubscriberCredential> | undefined;

  constructor(
    private readonly pool: Pool,
    ttlMs = 10_000,
  ) {
    // lru-cache reads ttl 0 as "forever": 0 here means no cache at all.
    this.#sensors = ttlMs > 0 ? new LRUCache({ max: MAX_ENTRIES, ttl: ttlMs }) : undefined;
    this.#subscribers = ttlMs > 0 ? new LRUCache({ max: MAX_ENTRIES, ttl: ttlMs }) : undefined;
  }

  get cachedEntries(): number {
    return (this.#sensors?.size ?? 0) + (this.#subscribers?.size ?? 0);
  }

  async sensorTokenHash(id: string, o: { fresh?: boolean } = {}): Promise<string | null> {
    const hit = o.fresh ? undefined : this.#sensors?.get(id);
    if (hit) return hit.tokenHash;
    const r = await this.pool.query<{ token_hash: string | null }>("SELECT token_hash FROM sensors WHERE id = $1", [
      id,
    ]);
    const tokenHash = r.rows[0]?.token_hash ?? null;
    if (tokenHash) this.#sensors?.set(id, { tokenHash });
    else this.#sensors?.delete(id);
    return tokenHash;
  }

  async subscriber(name: string, o: { fresh?: boolean } = {}): Promise<SubscriberCredential | null> {
    const hit = o.fresh ? undefined : this.#subscribers?.get(name);
    if (hit) return hit;
    const r = await this.pool.query<{ token_hash: string; topics: string[] }>(
      "SELECT token_hash, topics FROM mqtt_subscribers WHERE name = $1",
      [name],
    );
    const row = r.rows[0];
    const found = row ? { tokenHash: row.token_hash, topics: row.topics } : null;
    if (found) this.#subscribers?.set(name, found);
    else this.#subscribers?.delete(name);
    return found;
  }
}
