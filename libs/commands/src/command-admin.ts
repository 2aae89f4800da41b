import { randomUUID } from "node:crypto";
import type { CommandName } from "@sensorstream/contracts";
import type { Pool } from "@sensorstream/db";
import {
  COMMAND_COLUMNS,
  type CommandRecord,
  type CommandRow,
  type CommandState,
  toCommandRecord,
} from "./command-record.js";

export type NewCommand = { name: CommandName; args: Record<string, unknown>; ttlS: number };

/**
 * Operator actions on the command service's table (the HTTP API calls these): issue, read, list. The
 * lifecycle after issuing (sent, acked, failed, expired) is written by the command service alone.
 */
export class CommandAdmin {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => number = Date.now,
  ) {}

  /** One `queued` command per sensor, all in one statement. */
  async issue(sensorIds: readonly string[], c: NewCommand): Promise<CommandRecord[]> {
    if (sensorIds.length === 0) return [];
    const issued = this.now();
    const ids = sensorIds.map(() => randomUUID());
    const r = await this.pool.query<CommandRow>(
      `INSERT INTO commands (command_id, sensor_id, name, args, issued_at, expires_at, published_at)
       SELECT u.id, u.sensor_id, $3, $4, $5, $6, $5
         FROM unnest($1::uuid[], $2::text[]) AS u(id, sensor_id)
       RETURNING ${COMMAND_COLUMNS}`,
      [ids, sensorIds, c.name, c.args, new Date(issued), new Date(issued + c.ttlS * 1000)],
    );
    const order = new Map<string, number>(ids.map((id, i) => [id, i]));
    return r.rows.map(toCommandRecord).sort((a, b) => (order.get(a.command_id) ?? 0) - (order.get(b.command_id) ?? 0));
  }

  async get(commandId: string): Promise<CommandRecord | undefined> {
    const r = await this.pool.query<CommandRow>(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE command_id = $1`, [
      commandId,
    ]);
    const row = r.rows[0];
    return row ? toCommandRecord(row) : undefined;
  }

  /** Newest first; keyset pagination: pass the last command's `issued_at` and id as `before`. */
  async listForSensor(
    sensorId: string,
    filter: { state?: CommandState | undefined },
    page: { limit: number; before?: { issuedAt: string; commandId: string } | undefined },
  ): Promise<CommandRecord[]> {
    const r = await this.pool.query<CommandRow>(
      `SELECT ${COMMAND_COLUMNS} FROM commands
        WHERE sensor_id = $1 AND ($2::text IS NULL OR state = $2)
          AND ($3::timestamptz IS NULL OR (issued_at, command_id) < ($3::timestamptz, $4::uuid))
        ORDER BY issued_at DESC, command_id DESC LIMIT $5`,
      [sensorId, filter.state ?? null, page.before?.issuedAt ?? null, page.before?.commandId ?? null, page.limit],
    );
    return r.rows.map(toCommandRecord);
  }
}
