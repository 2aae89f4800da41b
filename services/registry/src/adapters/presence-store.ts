import { formatMicros } from "@sensorstream/contracts";
import type { Pool, PoolClient } from "@sensorstream/db";
import type { AckedCommand } from "../core/acked-commands.js";
import { type Folded, foldEvents, type SensorChange, type SensorEvent } from "../core/fold.js";
import {
  MAX_SILENT_AFTER_S,
  type Mode,
  type PresencePolicy,
  type PresenceState,
  type SensorPresence,
} from "../core/presence.js";

type Row = {
  id: string;
  presence: PresenceState;
  reported_mode: Mode | null;
  reported_sample_hz: number | null;
  last_seen_us: string | null;
  status_at_us: string | null;
  connected_at_us: string | null;
};

const num = (s: string | null) => (s === null ? null : Number(s));
const toState = (r: Row): SensorPresence => ({
  presence: r.presence,
  mode: r.reported_mode,
  sampleHz: r.reported_sample_hz,
  lastSeenUs: num(r.last_seen_us),
  statusUs: num(r.status_at_us),
  connectedUs: num(r.connected_at_us),
});
const ts = (us: number | null | undefined) => (us === null || us === undefined ? null : formatMicros(us));
const usOf = (col: string) => `(extract(epoch from ${col}) * 1000000)::bigint::text AS ${col}_us`;

/**
 * Applies a batch of presence events in one transaction: the sensors it names are locked (in id order, so two
 * registry replicas cannot deadlock), the pure fold decides, and one statement per table writes the result.
 */
export class PresenceStore {
  constructor(
    private readonly pool: Pool,
    private readonly policy: PresencePolicy,
    private readonly registration: "auto" | "manual",
  ) {}

  async applyBatch(events: readonly SensorEvent[], acked: readonly AckedCommand[] = []): Promise<Folded> {
    if (events.length === 0) return { changes: [], outcomes: [] };
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const ids = [...new Set(events.map((e) => e.sensorId))].sort();
      const rows = await this.#lock(client, ids);
      const missing = this.#toRegister(events, rows);
      if (missing.length > 0) {
        await client.query(
          "INSERT INTO sensors (id, registered_by) SELECT unnest($1::text[]), 'auto' ORDER BY 1 ON CONFLICT (id) DO NOTHING",
          [missing],
        );
        rows.push(...(await this.#lock(client, missing)));
      }
      const folded = foldEvents(new Map(rows.map((row) => [row.id, toState(row)])), events, this.policy);
      await this.#write(client, folded.changes);
      await this.#history(client, folded.changes);
      for (const a of acked) await this.#reportAcked(client, a);
      await client.query("COMMIT");
      return folded;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * An ok ack says the sensor now does what the command asked: its reported mode or rate. The command's name and
   * args are read from the command service's table (reading is allowed; only the command service writes it).
   */
  async #reportAcked(client: PoolClient, a: AckedCommand): Promise<void> {
    await client.query(
      `UPDATE sensors s SET
         reported_mode = CASE c.name WHEN 'sleep' THEN 'asleep' WHEN 'awake' THEN 'awake' ELSE s.reported_mode END,
         reported_sample_hz = CASE WHEN c.name = 'change_sample_frequency' AND jsonb_typeof(c.args->'hz') = 'number'
                                   THEN (c.args->>'hz')::float8 ELSE s.reported_sample_hz END
        FROM commands c
       WHERE c.command_id = $1 AND c.sensor_id = $2 AND s.id = c.sensor_id
         -- a replayed ack of an older command must not undo what a newer acked one set
         AND NOT EXISTS (SELECT FROM commands n WHERE n.sensor_id = c.sensor_id AND n.state = 'acked'
                           AND n.issued_at > c.issued_at
                           AND (n.name = 'change_sample_frequency') = (c.name = 'change_sample_frequency'))`,
      [a.commandId, a.sensorId],
    );
  }

  /**
   * Locks the sensors' rows in id order, so two registry replicas cannot deadlock on known sensors (two registering
   * the same new sensors at once may: PostgreSQL aborts one, a transient error, and its batch is retried).
   */
  async #lock(client: PoolClient, ids: readonly string[]): Promise<Row[]> {
    const r = await client.query<Row>(
      `SELECT id, presence, reported_mode, reported_sample_hz, ${usOf("last_seen")}, ${usOf("status_at")},
              ${usOf("connected_at")}
         FROM sensors WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    return r.rows;
  }

  /** REGISTRATION=auto: a connect or status message from an unknown sensor registers it. */
  #toRegister(events: readonly SensorEvent[], known: readonly Row[]): string[] {
    if (this.registration !== "auto") return [];
    const have = new Set(known.map((r) => r.id));
    // Its status, or its connect: the gateway reports the connect first, often in an earlier batch than the birth
    // status, and a new sensor's first connection would otherwise be dropped (its connected_at missing).
    const registers = (e: SensorEvent) =>
      e.event.type === "status" || (e.event.type === "connection" && e.event.connected);
    const ids = events.filter((e) => registers(e) && !have.has(e.sensorId)).map((e) => e.sensorId);
    return [...new Set(ids)].sort();
  }

  async #write(client: PoolClient, changes: readonly SensorChange[]): Promise<void> {
    if (changes.length === 0) return;
    const col = <T>(f: (c: SensorChange) => T) => changes.map(f);
    await client.query(
      `UPDATE sensors s SET
         presence = v.presence,
         presence_since = COALESCE(v.since, s.presence_since),
         reported_mode = v.mode, reported_sample_hz = v.hz,
         last_seen = v.last_seen, status_at = v.status_at, connected_at = v.connected_at,
         connection = COALESCE(v.connection, s.connection),
         type = COALESCE(v.type, s.type), model = COALESCE(v.model, s.model), firmware = COALESCE(v.firmware, s.firmware),
         reported_metadata = COALESCE(v.extras::jsonb, s.reported_metadata),
         updated_at = CASE WHEN v.described THEN now() ELSE s.updated_at END,
         last_lat = CASE WHEN v.newer_pos THEN v.lat ELSE s.last_lat END,
         last_lon = CASE WHEN v.newer_pos THEN v.lon ELSE s.last_lon END,
         last_position_at = CASE WHEN v.newer_pos THEN v.pos_at ELSE s.last_position_at END
       FROM (
         SELECT u.*, u.pos_at IS NOT NULL AND (t.last_position_at IS NULL OR u.pos_at >= t.last_position_at) AS newer_pos
           FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::float8[], $6::timestamptz[],
                       $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[],
                       $13::text[], $14::bool[], $15::float8[], $16::float8[], $17::timestamptz[])
                AS u(id, presence, since, mode, hz, last_seen, status_at, connected_at, connection, type, model,
                     firmware, extras, described, lat, lon, pos_at)
           JOIN sensors t ON t.id = u.id
       ) v
       WHERE s.id = v.id`,
      [
        col((c) => c.sensorId),
        col((c) => c.state.presence),
        col((c) => ts(c.transitions.at(-1)?.us)),
        col((c) => c.state.mode),
        col((c) => c.state.sampleHz),
        col((c) => ts(c.state.lastSeenUs)),
        col((c) => ts(c.state.statusUs)),
        col((c) => ts(c.state.connectedUs)),
        col((c) => c.connection ?? null),
        col((c) => c.description?.type ?? null),
        col((c) => c.description?.model ?? null),
        col((c) => c.description?.firmware ?? null),
        col((c) => (c.description?.extras === undefined ? null : JSON.stringify(c.description.extras))),
        col((c) => c.description !== undefined),
        col((c) => c.position?.lat ?? null),
        col((c) => c.position?.lon ?? null),
        col((c) => ts(c.position?.us)),
      ],
    );
  }

  async #history(client: PoolClient, changes: readonly SensorChange[]): Promise<void> {
    const rows = changes.flatMap((c) => c.transitions.map((t) => ({ id: c.sensorId, ...t })));
    if (rows.length === 0) return;
    await client.query(
      `INSERT INTO sensor_presence_history (sensor_id, time, state, previous, reason)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[])`,
      [
        rows.map((r) => r.id),
        rows.map((r) => ts(r.us)),
        rows.map((r) => r.to),
        rows.map((r) => r.from),
        rows.map((r) => r.reason),
      ],
    );
  }

  /**
   * Sensors that look silent at `nowUs` (the fold decides again, under the lock). The interval mirrors
   * silentAfterS, bounded the same way, so a stored rate of any value cannot make it negative or overflow.
   */
  async silentCandidates(nowUs: number): Promise<string[]> {
    const r = await this.pool.query<{ id: string }>(
      `SELECT id FROM sensors
        WHERE presence = 'online' AND COALESCE(reported_mode, 'awake') = 'awake'
          AND COALESCE(last_seen, status_at) < $1::timestamptz - make_interval(secs => LEAST($4::float8,
                GREATEST($2::float8, $3::float8 / CASE WHEN reported_sample_hz > 0 THEN reported_sample_hz END)))`,
      [ts(nowUs), this.policy.silentFloorS, this.policy.silentIntervals, MAX_SILENT_AFTER_S],
    );
    return r.rows.map((x) => x.id);
  }
}
