import { randomUUID } from "node:crypto";
import { type SensorDeleted, sensorDeletedRoutingKey } from "@sensorstream/contracts";
import type { Pool } from "@sensorstream/db";
import { hashToken, newToken } from "./credentials.js";

export type SensorRecord = {
  id: string;
  type: string | null;
  model: string | null;
  firmware: string | null;
  metadata: Record<string, unknown>;
  registered_by: "api" | "auto";
  created_at: string;
  updated_at: string;
  last_seen: string | null;
  presence: "online" | "offline" | "asleep" | "silent";
  presence_since: string;
  connection: "unknown" | "connected" | "disconnected";
  reported: { mode: "awake" | "asleep" | null; sample_hz: number | null };
  desired: { mode: "awake" | "asleep" | null; sample_hz: number | null };
  position: { lat: number; lon: number; time: string } | null;
  has_credentials: boolean;
};

/**
 * `metadata` as shown: what the device reported about itself (its status's extra fields) overlaid by what
 * operators set, so an operator's key always wins. Operators write only their own keys (the `metadata` column);
 * the registry writes only `reported_metadata`.
 */
const COLUMNS = `id, type, model, firmware, reported_metadata || metadata AS metadata, registered_by, created_at, updated_at, last_seen, presence,
  presence_since, connection, reported_mode, reported_sample_hz, desired_mode, desired_sample_hz, last_lat, last_lon,
  last_position_at, token_hash IS NOT NULL AS has_credentials`;

type Row = {
  id: string;
  type: string | null;
  model: string | null;
  firmware: string | null;
  metadata: Record<string, unknown>;
  registered_by: "api" | "auto";
  created_at: Date;
  updated_at: Date;
  last_seen: Date | null;
  presence: SensorRecord["presence"];
  presence_since: Date;
  connection: SensorRecord["connection"];
  reported_mode: "awake" | "asleep" | null;
  reported_sample_hz: number | null;
  desired_mode: "awake" | "asleep" | null;
  desired_sample_hz: number | null;
  last_lat: number | null;
  last_lon: number | null;
  last_position_at: Date | null;
  has_credentials: boolean;
};

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function toRecord(r: Row): SensorRecord {
  return {
    id: r.id,
    type: r.type,
    model: r.model,
    firmware: r.firmware,
    metadata: r.metadata,
    registered_by: r.registered_by,
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
    last_seen: iso(r.last_seen),
    presence: r.presence,
    presence_since: r.presence_since.toISOString(),
    connection: r.connection,
    reported: { mode: r.reported_mode, sample_hz: r.reported_sample_hz },
    desired: { mode: r.desired_mode, sample_hz: r.desired_sample_hz },
    position:
      r.last_lat !== null && r.last_lon !== null && r.last_position_at
        ? { lat: r.last_lat, lon: r.last_lon, time: r.last_position_at.toISOString() }
        : null,
    has_credentials: r.has_credentials,
  };
}

export type NewSensor = {
  id: string;
  type?: string | undefined;
  model?: string | undefined;
  firmware?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
};

/** A presence transition as stored; `time` is RFC 3339 UTC with microseconds. */
export type PresenceEntry = { time: string; state: string; previous: string | null; reason: string };
export type PresenceCursor = Pick<PresenceEntry, "time" | "state" | "reason">;

/** Publishes a sensor's deletion on the bus (confirmed); a rejection aborts the deletion. */
export type AnnounceDeletion = (routingKey: string, event: SensorDeleted) => Promise<void>;

export type SensorFilter = { type?: string | undefined; presence?: SensorRecord["presence"] | undefined };

/**
 * Operator actions on the registry (the HTTP API calls these): provision, update, delete, list.
 * The registry service itself applies what sensors report; both write through this table's owner module.
 */
export class SensorAdmin {
  constructor(private readonly pool: Pool) {}

  /** Creates the sensor with fresh credentials; `token` is returned once and stored only as a hash. */
  async create(s: NewSensor): Promise<{ sensor: SensorRecord; token: string } | { conflict: true }> {
    const token = newToken();
    const r = await this.pool.query<Row>(
      `INSERT INTO sensors (id, type, model, firmware, metadata, token_hash, registered_by)
       VALUES ($1, $2, $3, $4, $5, $6, 'api')
       ON CONFLICT (id) DO NOTHING
       RETURNING ${COLUMNS}`,
      [s.id, s.type ?? null, s.model ?? null, s.firmware ?? null, s.metadata ?? {}, hashToken(token)],
    );
    const row = r.rows[0];
    return row ? { sensor: toRecord(row), token } : { conflict: true };
  }

  /** Issues new credentials (e.g. for an auto-registered sensor, or a leaked token); the old one stops working. */
  async rotateToken(id: string): Promise<string | undefined> {
    const token = newToken();
    const r = await this.pool.query("UPDATE sensors SET token_hash = $2, updated_at = now() WHERE id = $1", [
      id,
      hashToken(token),
    ]);
    return r.rowCount ? token : undefined;
  }

  async get(id: string): Promise<SensorRecord | undefined> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM sensors WHERE id = $1`, [id]);
    const row = r.rows[0];
    return row ? toRecord(row) : undefined;
  }

  /** Keyset pagination by id: pass the last id of a page as `after` to get the next. */
  async list(filter: SensorFilter, page: { limit: number; after?: string | undefined }): Promise<SensorRecord[]> {
    const r = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM sensors
        WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR presence = $2) AND ($3::text IS NULL OR id > $3)
        ORDER BY id LIMIT $4`,
      [filter.type ?? null, filter.presence ?? null, page.after ?? null, page.limit],
    );
    return r.rows.map(toRecord);
  }

  /** Updates descriptive fields; the operator's metadata is replaced as a whole when given (device-reported keys stay). */
  async update(
    id: string,
    patch: {
      type?: string | undefined;
      model?: string | undefined;
      firmware?: string | undefined;
      metadata?: Record<string, unknown> | undefined;
    },
  ): Promise<SensorRecord | undefined> {
    const r = await this.pool.query<Row>(
      `UPDATE sensors SET
         type = COALESCE($2, type), model = COALESCE($3, model), firmware = COALESCE($4, firmware),
         metadata = COALESCE($5, metadata), updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, patch.type ?? null, patch.model ?? null, patch.firmware ?? null, patch.metadata ?? null],
    );
    const row = r.rows[0];
    return row ? toRecord(row) : undefined;
  }

  /**
   * Removes the sensor (its credentials and presence history go with it) and announces it as
   * `sensor_<id>.deleted`. The data owners (the ingesters) delete its readings, positions and logs
   * from their own tables when `purgeData` is set: this module never writes their tables. The event is
   * published (confirmed) inside the transaction, before COMMIT, so a bus that refuses it leaves the
   * sensor in place and the caller can retry; only a COMMIT failing after the confirm could announce a
   * deletion that did not happen (its data would be purged while it stays registered).
   * Returns false if there was no such sensor (nothing is published then).
   */
  async delete(id: string, purgeData: boolean, announce: AnnounceDeletion, now = Date.now): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const r = await client.query("DELETE FROM sensors WHERE id = $1", [id]);
      if (!r.rowCount) {
        await client.query("ROLLBACK");
        return false;
      }
      const event: SensorDeleted = {
        msg_id: randomUUID(),
        sensor_id: id,
        purge_data: purgeData,
        deleted_at: new Date(now()).toISOString(),
      };
      await announce(sensorDeletedRoutingKey(id), event);
      await client.query("COMMIT");
      return true;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Presence transitions newest first, one page at a time. The cursor is the (time, state, reason) of the
   * last entry of the previous page: two transitions of a sensor can share a timestamp, and consecutive ones
   * always differ in state, so a page boundary neither skips nor repeats them. Times keep their microseconds.
   */
  /** The ids of the selected sensors that exist, in id order, at most `limit` of them. */
  async selectIds(
    selection: { ids: readonly string[] } | { type: string } | { all: true },
    limit: number,
  ): Promise<string[]> {
    const byIds = "ids" in selection ? [...selection.ids] : null;
    const type = "type" in selection ? selection.type : null;
    const r = await this.pool.query<{ id: string }>(
      `SELECT id FROM sensors WHERE ($1::text[] IS NULL OR id = ANY($1)) AND ($2::text IS NULL OR type = $2)
        ORDER BY id LIMIT $3`,
      [byIds, type, limit],
    );
    return r.rows.map((row) => row.id);
  }

  /**
   * What commands asked these sensors to do (an operator action: the command was just issued). A null field
   * leaves that setting as it was; the registry keeps writing what the sensors report.
   */
  async setDesired(
    ids: readonly string[],
    desired: { mode?: "awake" | "asleep" | undefined; sample_hz?: number | undefined },
  ): Promise<void> {
    await this.pool.query(
      `UPDATE sensors SET desired_mode = COALESCE($2, desired_mode),
         desired_sample_hz = COALESCE($3, desired_sample_hz), updated_at = now()
       WHERE id = ANY($1)`,
      [[...ids], desired.mode ?? null, desired.sample_hz ?? null],
    );
  }

  async presenceHistoryPage(
    id: string,
    page: { limit: number; before?: PresenceCursor | undefined },
  ): Promise<PresenceEntry[]> {
    const b = page.before;
    const r = await this.pool.query<PresenceEntry>(
      `SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time, state, previous, reason
         FROM sensor_presence_history
        WHERE sensor_id = $1
          ${b ? "AND time <= $3::timestamptz AND (time, state, reason) < ($3::timestamptz, $4::text, $5::text)" : ""}
        ORDER BY time DESC, state DESC, reason DESC
        LIMIT $2`,
      b ? [id, page.limit, b.time, b.state, b.reason] : [id, page.limit],
    );
    return r.rows;
  }
}
