import { randomUUID } from "node:crypto";
import { ALARM_COLUMNS, type AlarmRow, alertOf, queueAlerts, type Severity, toAlarmRecord } from "@sensorstream/alarms";
import type { Alert } from "@sensorstream/contracts";
import { formatMicros } from "@sensorstream/contracts";
import type { PoolClient } from "@sensorstream/db";
import type { PairState } from "../core/evaluate.js";
import { pairKey } from "../core/gather.js";

export type OpenAlarm = { alarm_id: string; rule_id: string; sensor_id: string; metric: string; severity: Severity };
export type NewAlarm = {
  ruleId: string;
  sensorId: string;
  metric: string;
  severity: Severity;
  us: number;
  value: number;
  threshold: number;
};
export type ClearChange = { alarm: OpenAlarm; us: number; value: number; threshold: number; reason: string };

/** Sensors map onto this many advisory locks (two replicas never evaluate one sensor at once). */
const LOCK_BUCKETS = 4096;
/** Distinguishes these advisory locks from the migrations' and the retention's (first key of the two-key form). */
const LOCK_SPACE = 0x414c; // "AL"

/**
 * The alarm service's writes within one transaction: evaluation state, alarms, their alerts (outbox). Everything a
 * batch changes commits together, so a crash leaves either all of it or none (and the batch comes again).
 */
export class AlarmTx {
  readonly alerts: Alert[] = [];

  constructor(
    private readonly c: PoolClient,
    private readonly newId: () => string = randomUUID,
  ) {}

  /**
   * Serializes replicas per sensor: competing consumers may hold two batches with the same sensor; the second waits
   * for the first to commit and then sees its state. Buckets are taken in ascending order, so two never deadlock.
   */
  async lockSensors(ids: readonly string[]): Promise<void> {
    await this.c.query(
      `SELECT count(pg_advisory_xact_lock($2::int, b)) FROM (
         SELECT DISTINCT abs(hashtext(s) % $3)::int AS b FROM unnest($1::text[]) AS s ORDER BY 1 OFFSET 0) q`,
      [[...ids], LOCK_SPACE, LOCK_BUCKETS],
    );
  }

  /**
   * Locks the sensors, then reads the state of their pairs (only pairs that ever left normal have one) and their open
   * alarms, in one round trip (the database function alarm_batch_start): what every evaluation batch starts with.
   */
  async start(sensorIds: readonly string[]): Promise<{ states: Map<string, PairState>; open: Map<string, OpenAlarm> }> {
    const r = await this.c.query<{
      kind: "state" | "open";
      rule_id: string;
      sensor_id: string;
      last_us: string | null;
      pending_since_us: string | null;
      alarm_id: string | null;
      metric: string | null;
      severity: Severity | null;
    }>("SELECT * FROM alarm_batch_start($1, $2, $3)", [[...sensorIds], LOCK_SPACE, LOCK_BUCKETS]);
    const states = new Map<string, PairState>();
    const open = new Map<string, OpenAlarm>();
    for (const row of r.rows) {
      const key = pairKey(row.rule_id, row.sensor_id);
      if (row.kind === "state") {
        states.set(key, {
          lastUs: Number(row.last_us),
          pendingSinceUs: row.pending_since_us === null ? null : Number(row.pending_since_us),
          open: false,
        });
      } else {
        open.set(key, {
          alarm_id: row.alarm_id ?? "",
          rule_id: row.rule_id,
          sensor_id: row.sensor_id,
          metric: row.metric ?? "",
          severity: row.severity ?? "warning",
        });
      }
    }
    return { states, open };
  }

  /** Open alarms of these rules (the no-data sweep), by pair key. */
  async openAlarmsOfRules(ruleIds: readonly string[]): Promise<Map<string, OpenAlarm>> {
    const r = await this.c.query<OpenAlarm>(
      `SELECT alarm_id, rule_id, sensor_id, metric, severity FROM alarms WHERE rule_id = ANY($1) AND state <> 'cleared'`,
      [[...ruleIds]],
    );
    return new Map(r.rows.map((a) => [pairKey(a.rule_id, a.sensor_id), a]));
  }

  async saveStates(rows: readonly { ruleId: string; sensorId: string; state: PairState }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.c.query(
      `INSERT INTO alarm_state (rule_id, sensor_id, last_us, pending_since_us)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::bigint[])
       ON CONFLICT (sensor_id, rule_id) DO UPDATE
         SET last_us = EXCLUDED.last_us, pending_since_us = EXCLUDED.pending_since_us`,
      [
        rows.map((r) => r.ruleId),
        rows.map((r) => r.sensorId),
        rows.map((r) => r.state.lastUs ?? 0),
        rows.map((r) => r.state.pendingSinceUs),
      ],
    );
  }

  /**
   * Opens an alarm and queues its `raised` alert. The partial unique index refuses a second open alarm of the pair
   * whatever happened: the insert then changes nothing and nothing is published.
   */
  async raise(a: NewAlarm): Promise<OpenAlarm | undefined> {
    const r = await this.c.query<AlarmRow>(
      `INSERT INTO alarms (alarm_id, rule_id, sensor_id, metric, severity, raised_at, value, threshold)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (rule_id, sensor_id) WHERE state <> 'cleared' DO NOTHING RETURNING ${ALARM_COLUMNS}`,
      [this.newId(), a.ruleId, a.sensorId, a.metric, a.severity, formatMicros(a.us), a.value, a.threshold],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    const rec = toAlarmRecord(row);
    this.alerts.push(alertOf(rec, { state: "raised", value: a.value, threshold: a.threshold, ts: formatMicros(a.us) }));
    return rec;
  }

  async clear(ch: ClearChange): Promise<boolean> {
    const r = await this.c.query(
      `UPDATE alarms SET state = 'cleared', cleared_at = $2, cleared_value = $3, clear_reason = $4
        WHERE alarm_id = $1 AND state <> 'cleared'`,
      [ch.alarm.alarm_id, formatMicros(ch.us), ch.value, ch.reason],
    );
    if (!r.rowCount) return false;
    this.alerts.push(
      alertOf(ch.alarm, { state: "cleared", value: ch.value, threshold: ch.threshold, ts: formatMicros(ch.us) }),
    );
    return true;
  }

  /** When data was last received from each sensor (for no-data rules); never moves back. */
  async touchSeen(seen: ReadonlyMap<string, number>): Promise<void> {
    if (seen.size === 0) return;
    await this.c.query(
      `INSERT INTO alarm_sensors_seen (sensor_id, received_at)
       SELECT s, to_timestamp(us / 1e6) FROM unnest($1::text[], $2::float8[]) AS u(s, us)
       ON CONFLICT (sensor_id) DO UPDATE SET received_at = GREATEST(alarm_sensors_seen.received_at, EXCLUDED.received_at)`,
      [[...seen.keys()], [...seen.values()]],
    );
  }

  /** When data was last received from these sensors (all when null), in epoch milliseconds. */
  async seen(ids: readonly string[] | null): Promise<Map<string, number>> {
    const r = await this.c.query<{ sensor_id: string; received_at: Date }>(
      "SELECT sensor_id, received_at FROM alarm_sensors_seen WHERE $1::text[] IS NULL OR sensor_id = ANY($1)",
      [ids ? [...ids] : null],
    );
    return new Map(r.rows.map((row) => [row.sensor_id, row.received_at.getTime()]));
  }

  async flushAlerts(): Promise<void> {
    await queueAlerts(this.c, this.alerts);
  }
}
