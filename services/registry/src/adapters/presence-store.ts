import type { StatusMessage } from "@sensorstream/contracts";
import type { Pool, PoolClient } from "@sensorstream/db";
import {
  type Mode,
  nextPresence,
  type PresenceEvent,
  type PresencePolicy,
  type PresenceState,
  type SensorPresence,
  type Transition,
} from "../core/presence.js";

type Row = {
  presence: PresenceState;
  reported_mode: Mode | null;
  reported_sample_hz: number | null;
  last_seen_us: string | null;
  status_at_us: string | null;
};

const toState = (r: Row): SensorPresence => ({
  presence: r.presence,
  mode: r.reported_mode,
  sampleHz: r.reported_sample_hz,
  lastSeenUs: r.last_seen_us === null ? null : Number(r.last_seen_us),
  statusUs: r.status_at_us === null ? null : Number(r.status_at_us),
});

const ts = (us: number | null) => (us === null ? null : new Date(Math.floor(us / 1000)).toISOString());

export type Applied =
  | { outcome: "unknown_sensor" }
  | { outcome: "applied"; transition: Transition | undefined; stale: boolean };

/** Known status keys; everything else a birth message carries is kept as metadata. */
const STATUS_KEYS = new Set(["state", "mode", "sample_hz", "type", "model", "firmware"]);

/**
 * Applies presence events to `sensors` one sensor at a time, under a row lock, and records
 * transitions in `sensor_presence_history`; safe with two registry replicas.
 */
export class PresenceStore {
  constructor(
    private readonly pool: Pool,
    private readonly policy: PresencePolicy,
    private readonly registration: "auto" | "manual",
  ) {}

  async apply(sensorId: string, event: PresenceEvent, status?: StatusMessage["status"]): Promise<Applied> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      let row = await this.#lock(client, sensorId);
      if (!row) {
        if (!(event.type === "status" && this.registration === "auto")) {
          await client.query("ROLLBACK");
          return { outcome: "unknown_sensor" };
        }
        await client.query("INSERT INTO sensors (id, registered_by) VALUES ($1, 'auto') ON CONFLICT (id) DO NOTHING", [
          sensorId,
        ]);
        row = await this.#lock(client, sensorId);
        if (!row) throw new Error(`sensor ${sensorId} vanished while being registered`);
      }
      const r = nextPresence(toState(row), event, this.policy);
      const s = r.state;
      const eventTime = ts(event.us);
      await client.query(
        `UPDATE sensors SET
           presence = $2,
           presence_since = CASE WHEN $3 THEN $4::timestamptz ELSE presence_since END,
           reported_mode = $5, reported_sample_hz = $6,
           last_seen = $7::timestamptz, status_at = $8::timestamptz,
           connection = COALESCE($9, connection)
         WHERE id = $1`,
        [
          sensorId,
          s.presence,
          r.transition !== undefined,
          eventTime,
          s.mode,
          s.sampleHz,
          ts(s.lastSeenUs),
          ts(s.statusUs),
          event.type === "connection" && !r.stale ? (event.connected ? "connected" : "disconnected") : null,
        ],
      );
      if (status && !r.stale) {
        const extra = Object.fromEntries(Object.entries(status).filter(([k]) => !STATUS_KEYS.has(k)));
        await client.query(
          `UPDATE sensors SET type = COALESCE($2, type), model = COALESCE($3, model), firmware = COALESCE($4, firmware),
             metadata = metadata || $5::jsonb, updated_at = now()
           WHERE id = $1`,
          [sensorId, status.type ?? null, status.model ?? null, status.firmware ?? null, JSON.stringify(extra)],
        );
      }
      if (r.transition) {
        await client.query(
          "INSERT INTO sensor_presence_history (sensor_id, time, state, previous, reason) VALUES ($1, $2, $3, $4, $5)",
          [sensorId, eventTime, r.transition.to, r.transition.from, r.transition.reason],
        );
      }
      await client.query("COMMIT");
      return { outcome: "applied", transition: r.transition, stale: r.stale };
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * Records last_seen (and last position) for every sensor in an activity report in one statement, and
   * returns the sensors whose presence may change because of it (not online).
   */
  async touch(
    seen: ReadonlyArray<{
      sensorId: string;
      us: number;
      lat?: number | undefined;
      lon?: number | undefined;
      positionUs?: number | undefined;
    }>,
  ): Promise<Array<{ sensorId: string; us: number }>> {
    if (seen.length === 0) return [];
    const r = await this.pool.query<{ id: string; presence: PresenceState }>(
      `UPDATE sensors s SET
         last_seen = GREATEST(s.last_seen, v.seen),
         last_lat = CASE WHEN v.pos_at IS NOT NULL AND (s.last_position_at IS NULL OR v.pos_at >= s.last_position_at) THEN v.lat ELSE s.last_lat END,
         last_lon = CASE WHEN v.pos_at IS NOT NULL AND (s.last_position_at IS NULL OR v.pos_at >= s.last_position_at) THEN v.lon ELSE s.last_lon END,
         last_position_at = CASE WHEN v.pos_at IS NOT NULL AND (s.last_position_at IS NULL OR v.pos_at >= s.last_position_at) THEN v.pos_at ELSE s.last_position_at END
       FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::timestamptz[]) AS v(id, seen, lat, lon, pos_at)
       WHERE s.id = v.id
       RETURNING s.id, s.presence`,
      [
        seen.map((x) => x.sensorId),
        seen.map((x) => ts(x.us)),
        seen.map((x) => x.lat ?? null),
        seen.map((x) => x.lon ?? null),
        seen.map((x) => (x.positionUs === undefined ? null : ts(x.positionUs))),
      ],
    );
    const byId = new Map(seen.map((x) => [x.sensorId, x.us]));
    return r.rows.filter((x) => x.presence !== "online").map((x) => ({ sensorId: x.id, us: byId.get(x.id) ?? 0 }));
  }

  /** Sensors that look silent now (the state machine decides, under the lock). */
  async silentCandidates(nowUs: number): Promise<string[]> {
    const r = await this.pool.query<{ id: string }>(
      `SELECT id FROM sensors
        WHERE presence = 'online' AND COALESCE(reported_mode, 'awake') = 'awake'
          AND COALESCE(last_seen, status_at) IS NOT NULL
          AND COALESCE(last_seen, status_at) < $1::timestamptz - make_interval(secs =>
                GREATEST($2::float8, $3::float8 / NULLIF(reported_sample_hz, 0)))`,
      [ts(nowUs), this.policy.silentFloorS, this.policy.silentIntervals],
    );
    return r.rows.map((x) => x.id);
  }

  async #lock(client: PoolClient, sensorId: string): Promise<Row | undefined> {
    const r = await client.query<Row>(
      `SELECT presence, reported_mode, reported_sample_hz,
              (extract(epoch from last_seen) * 1000000)::bigint::text AS last_seen_us,
              (extract(epoch from status_at) * 1000000)::bigint::text AS status_at_us
         FROM sensors WHERE id = $1 FOR UPDATE`,
      [sensorId],
    );
    return r.rows[0];
  }
}
