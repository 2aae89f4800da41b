import type { Pool } from "@sensorstream/db";

export type AwakeSensor = { id: string; type: string | null; updated_at: Date };

/**
 * What the alarm service reads from the registry's table (read only): sensors' types (a rule may be scoped by type)
 * and which sensors are meant to be awake (a no-data rule ignores a sensor told to sleep).
 */
export class SensorScopeReader {
  constructor(private readonly pool: Pool) {}

  /** The type of each of these sensors that is registered (null when it has none). */
  async types(ids: readonly string[]): Promise<Map<string, string | null>> {
    const r = await this.pool.query<{ id: string; type: string | null }>(
      "SELECT id, type FROM sensors WHERE id = ANY($1)",
      [[...ids]],
    );
    return new Map(r.rows.map((row) => [row.id, row.type]));
  }

  /**
   * Registered sensors that should be sending: the mode they were told (desired) or, when never told, the one they
   * report is not asleep. `updated_at` moves when an operator changes the sensor (e.g. wakes it up).
   */
  async awake(): Promise<AwakeSensor[]> {
    const r = await this.pool.query<AwakeSensor>(
      `SELECT id, type, updated_at FROM sensors WHERE COALESCE(desired_mode, reported_mode, 'awake') <> 'asleep'`,
    );
    return r.rows;
  }
}
