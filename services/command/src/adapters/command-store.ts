import { COMMAND_COLUMNS, type CommandRecord, type CommandRow, toCommandRecord } from "@sensorstream/commands";
import type { Pool } from "@sensorstream/db";
import type { SensorSettings } from "../core/converge.js";

/** Why an ack changed nothing. */
type BadAck = "unknown_command" | "other_sensor" | "duplicate";
export type AckResult = { ok: true; command: CommandRecord } | { ok: false; reason: BadAck };
/** A sensor back online: its open commands (oldest first) and its settings, if it is registered. */
export type Reachable = { pending: CommandRecord[]; settings: SensorSettings | undefined };

/**
 * The command service's writes to its `commands` table. Every transition is one conditional UPDATE, so a
 * redelivered or duplicate message finds nothing left to change (idempotent), and a final state is never left.
 */
export class CommandStore {
  constructor(private readonly pool: Pool) {}

  /** A gateway handed the command to the sensor: queued -> sent (a later report changes nothing). */
  async markSent(commandId: string, sensorId: string, at: Date): Promise<CommandRecord | undefined> {
    const r = await this.pool.query<CommandRow>(
      `UPDATE commands SET state = 'sent', sent_at = $3
        WHERE command_id = $1 AND sensor_id = $2 AND state = 'queued'
        RETURNING ${COMMAND_COLUMNS}`,
      [commandId, sensorId, at],
    );
    const row = r.rows[0];
    return row ? toCommandRecord(row) : undefined;
  }

  /** The sensor's ack: queued|sent -> acked|failed; otherwise says why nothing changed. */
  async settle(commandId: string, sensorId: string, ok: boolean, error: string | null, at: Date): Promise<AckResult> {
    const r = await this.pool.query<CommandRow>(
      `UPDATE commands SET state = $3, settled_at = $5, error = $4
        WHERE command_id = $1 AND sensor_id = $2 AND state IN ('queued', 'sent')
        RETURNING ${COMMAND_COLUMNS}`,
      [commandId, sensorId, ok ? "acked" : "failed", ok ? null : (error ?? "the sensor reported an error"), at],
    );
    const row = r.rows[0];
    if (row) return { ok: true, command: toCommandRecord(row) };
    const found = await this.pool.query<{ sensor_id: string }>("SELECT sensor_id FROM commands WHERE command_id = $1", [
      commandId,
    ]);
    const other = found.rows[0];
    if (!other) return { ok: false, reason: "unknown_command" };
    return { ok: false, reason: other.sensor_id === sensorId ? "duplicate" : "other_sensor" };
  }

  /**
   * What sensors that came (back) online should receive, and their mode and rate, two queries for all: per sensor its
   * commands not yet acked and not expired, oldest first, and its desired and reported settings (read only: the
   * registry owns `sensors`; a sensor not registered has none). Every id asked for is in the result.
   */
  async reachable(sensorIds: readonly string[], now: Date): Promise<Map<string, Reachable>> {
    const ids = [...sensorIds];
    const [commands, sensors] = await Promise.all([
      this.pool.query<CommandRow>(
        `SELECT ${COMMAND_COLUMNS} FROM commands
          WHERE sensor_id = ANY($1::text[]) AND state IN ('queued', 'sent') AND expires_at > $2
          ORDER BY issued_at, seq`,
        [ids, now],
      ),
      this.pool.query<SensorSettings & { id: string }>(
        `SELECT id, desired_mode AS "desiredMode", reported_mode AS "reportedMode", desired_sample_hz AS "desiredHz",
                reported_sample_hz AS "reportedHz"
           FROM sensors WHERE id = ANY($1::text[])`,
        [ids],
      ),
    ]);
    const out = new Map<string, Reachable>(ids.map((id) => [id, { pending: [], settings: undefined }]));
    for (const { id, ...settings } of sensors.rows) {
      const r = out.get(id);
      if (r) r.settings = settings;
    }
    for (const row of commands.rows) out.get(row.sensor_id)?.pending.push(toCommandRecord(row));
    return out;
  }

  /**
   * Queued commands of reachable sensors (presence online or asleep) last published more than `olderThan` ago:
   * their publish was lost (bus down when issued, or the sensor's gateway replica restarting). Oldest first.
   */
  async stale(now: Date, olderThan: Date, limit: number): Promise<CommandRecord[]> {
    const r = await this.pool.query<CommandRow>(
      `SELECT ${COMMAND_COLUMNS.split(", ")
        .map((c) => `c.${c}`)
        .join(", ")}
         FROM commands c JOIN sensors s ON s.id = c.sensor_id
        WHERE c.state = 'queued' AND c.expires_at > $1 AND c.published_at < $2 AND s.presence IN ('online', 'asleep')
        ORDER BY c.issued_at, c.seq LIMIT $3`,
      [now, olderThan, limit],
    );
    return r.rows.map(toCommandRecord);
  }

  /** Records a (re)publish, so the retry sweep waits a full interval before the next. */
  async published(commandIds: readonly string[], at: Date): Promise<void> {
    if (commandIds.length === 0) return;
    await this.pool.query("UPDATE commands SET published_at = $2 WHERE command_id = ANY($1::uuid[])", [
      [...commandIds],
      at,
    ]);
  }

  /** Marks every open command past its expiry as expired; returns them. */
  async expireDue(now: Date): Promise<CommandRecord[]> {
    const r = await this.pool.query<CommandRow>(
      `UPDATE commands SET state = 'expired', settled_at = $1
        WHERE state IN ('queued', 'sent') AND expires_at <= $1
        RETURNING ${COMMAND_COLUMNS}`,
      [now],
    );
    return r.rows.map(toCommandRecord);
  }
}
