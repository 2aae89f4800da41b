import type { Pool } from "@sensorstream/db";
import { hashToken, newToken } from "./credentials.js";

/** MQTT usernames of read-only subscribers carry this prefix, so they can never collide with a sensor id. */
export const SUBSCRIBER_PREFIX = "subscriber:";

export type Subscriber = { name: string; topics: string[]; created_at: string };

/** Read-only MQTT credentials (a dashboard, an alert consumer): subscribe to the given filters, publish nothing. */
export class SubscriberAdmin {
  constructor(private readonly pool: Pool) {}

  async create(
    name: string,
    topics: string[],
  ): Promise<{ subscriber: Subscriber; username: string; token: string } | { conflict: true }> {
    const token = newToken();
    const r = await this.pool.query<{ name: string; topics: string[]; created_at: Date }>(
      `INSERT INTO mqtt_subscribers (name, token_hash, topics) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO NOTHING RETURNING name, topics, created_at`,
      [name, hashToken(token), topics],
    );
    const row = r.rows[0];
    if (!row) return { conflict: true };
    return {
      subscriber: { name: row.name, topics: row.topics, created_at: row.created_at.toISOString() },
      username: `${SUBSCRIBER_PREFIX}${row.name}`,
      token,
    };
  }

  async list(): Promise<Subscriber[]> {
    const r = await this.pool.query<{ name: string; topics: string[]; created_at: Date }>(
      "SELECT name, topics, created_at FROM mqtt_subscribers ORDER BY name",
    );
    return r.rows.map((x) => ({ ...x, created_at: x.created_at.toISOString() }));
  }

  async delete(name: string): Promise<boolean> {
    return ((await this.pool.query("DELETE FROM mqtt_subscribers WHERE name = $1", [name])).rowCount ?? 0) > 0;
  }
}
