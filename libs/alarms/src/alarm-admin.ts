import { randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "@sensorstream/db";
import {
  ALARM_COLUMNS,
  type AlarmRecord,
  type AlarmRow,
  alertOf,
  NO_DATA_METRIC,
  RULE_COLUMNS,
  type RuleRow,
  toAlarmRecord,
  toAlarmRule,
} from "./alarm-record.js";
import { queueAlerts } from "./outbox.js";
import { type AlarmRule, type ParsedRuleInput, type RuleSpec, type Severity, specOf } from "./rule-spec.js";
import { inTransaction } from "./transaction.js";

export type AlarmFilter = {
  state: "open" | "cleared" | "all";
  sensor_id?: string | undefined;
  severity?: Severity | undefined;
  rule_id?: string | undefined;
};
export type AckResult = { ok: true; alarm: AlarmRecord } | { ok: false; reason: "not_found" | "cleared" };

/**
 * Operator actions on the alarm service's tables (the HTTP API calls these): rules, the alarm history, acks.
 * Evaluation (raise, clear) is the alarm service's alone. What changes an alarm here (an ack; a rule deleted or
 * disabled clears its open alarms) queues its alert in alarm_outbox in the same transaction; the alarm service
 * publishes it within a second.
 */
export class AlarmAdmin {
  constructor(
    private readonly pool: Pool,
    private readonly now: () => number = Date.now,
  ) {}

  async createRule(input: ParsedRuleInput): Promise<AlarmRule> {
    const r = await this.pool.query<RuleRow>(
      `INSERT INTO alarm_rules (rule_id, name, kind, spec, enabled) VALUES ($1, $2, $3, $4, $5) RETURNING ${RULE_COLUMNS}`,
      [randomUUID(), input.name, input.kind, specOf(input), input.enabled],
    );
    return toAlarmRule(r.rows[0] as RuleRow);
  }

  async getRule(ruleId: string): Promise<AlarmRule | undefined> {
    const r = await this.pool.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE rule_id = $1`, [ruleId]);
    const row = r.rows[0];
    return row ? toAlarmRule(row) : undefined;
  }

  /** In rule_id order; pass the last rule's id as `after` for the next page. */
  async listRules(page: { limit: number; after?: string | undefined }): Promise<AlarmRule[]> {
    const r = await this.pool.query<RuleRow>(
      `SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE ($1::uuid IS NULL OR rule_id > $1) ORDER BY rule_id LIMIT $2`,
      [page.after ?? null, page.limit],
    );
    return r.rows.map(toAlarmRule);
  }

  /** Replaces the rule (a PATCH is merged by the caller and validated whole); disabling clears its open alarms. */
  async updateRule(ruleId: string, input: ParsedRuleInput): Promise<AlarmRule | undefined> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query<RuleRow>(
        `UPDATE alarm_rules SET name = $2, kind = $3, spec = $4, enabled = $5, updated_at = now()
          WHERE rule_id = $1 RETURNING ${RULE_COLUMNS}`,
        [ruleId, input.name, input.kind, specOf(input), input.enabled],
      );
      const row = r.rows[0];
      if (!row) return undefined;
      // A pending period counted under the old condition does not count under the new one; the newest reading time
      // applied stays (replays stay harmless).
      await c.query("UPDATE alarm_state SET pending_since_us = NULL WHERE rule_id = $1", [ruleId]);
      if (!input.enabled) await this.clearOpen(c, ruleId, "rule_disabled");
      else await this.clearOutOfRule(c, ruleId, specOf(input));
      return toAlarmRule(row);
    });
  }

  /** Deletes the rule; its open alarms are cleared (reason rule_deleted) and kept as history. */
  async deleteRule(ruleId: string): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query("DELETE FROM alarm_rules WHERE rule_id = $1", [ruleId]);
      if (!r.rowCount) return false;
      await c.query("DELETE FROM alarm_state WHERE rule_id = $1", [ruleId]);
      await this.clearOpen(c, ruleId, "rule_deleted");
      return true;
    });
  }

  async getAlarm(alarmId: string): Promise<AlarmRecord | undefined> {
    const r = await this.pool.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE alarm_id = $1`, [alarmId]);
    const row = r.rows[0];
    return row ? toAlarmRecord(row) : undefined;
  }

  /** Newest raised first; keyset pagination: pass the last alarm's raised_at and id as `before`. */
  async listAlarms(
    f: AlarmFilter,
    page: { limit: number; before?: { raisedAt: string; alarmId: string } | undefined },
  ): Promise<AlarmRecord[]> {
    const r = await this.pool.query<AlarmRow>(
      `SELECT ${ALARM_COLUMNS} FROM alarms
        WHERE ($1 = 'all' OR ($1 = 'open') = (state <> 'cleared'))
          AND ($2::text IS NULL OR sensor_id = $2) AND ($3::text IS NULL OR severity = $3)
          AND ($4::uuid IS NULL OR rule_id = $4)
          AND ($5::timestamptz IS NULL OR (raised_at, alarm_id) < ($5::timestamptz, $6::uuid))
        ORDER BY raised_at DESC, alarm_id DESC LIMIT $7`,
      [
        f.state,
        f.sensor_id ?? null,
        f.severity ?? null,
        f.rule_id ?? null,
        page.before?.raisedAt ?? null,
        page.before?.alarmId ?? null,
        page.limit,
      ],
    );
    return r.rows.map(toAlarmRecord);
  }

  /** raised -> acknowledged, published as an `acknowledged` alert. Acknowledging twice changes nothing. */
  async ack(alarmId: string, by: string): Promise<AckResult> {
    return inTransaction(this.pool, async (c) => {
      const r = await c.query<AlarmRow>(
        `UPDATE alarms SET state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3
          WHERE alarm_id = $1 AND state = 'raised' RETURNING ${ALARM_COLUMNS}`,
        [alarmId, new Date(this.now()), by],
      );
      const row = r.rows[0];
      if (row) {
        const a = toAlarmRecord(row);
        const ts = a.acknowledged_at ?? new Date(this.now()).toISOString();
        await queueAlerts(c, [alertOf(a, { state: "acknowledged", value: a.value, threshold: a.threshold, ts })]);
        return { ok: true, alarm: a };
      }
      const current = await c.query<AlarmRow>(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE alarm_id = $1`, [alarmId]);
      const cur = current.rows[0];
      if (!cur) return { ok: false, reason: "not_found" };
      return cur.state === "cleared" ? { ok: false, reason: "cleared" } : { ok: true, alarm: toAlarmRecord(cur) };
    });
  }

  /**
   * After a change, open alarms the rule no longer covers (another metric, a sensor out of its new scope) would never
   * be evaluated again: they are cleared (reason rule_changed).
   */
  private async clearOutOfRule(c: PoolClient, ruleId: string, spec: RuleSpec): Promise<void> {
    const metric = spec.kind === "no_data" ? NO_DATA_METRIC : spec.metric;
    const ids = "sensor_ids" in spec.scope ? spec.scope.sensor_ids : null;
    const type = "type" in spec.scope ? spec.scope.type : null;
    await this.clearOpen(
      c,
      ruleId,
      "rule_changed",
      `AND (metric <> $4 OR ($5::text[] IS NOT NULL AND sensor_id <> ALL($5))
            OR ($6::text IS NOT NULL AND sensor_id NOT IN (SELECT id FROM sensors WHERE type = $6)))`,
      [metric, ids, type],
    );
  }

  private async clearOpen(
    c: PoolClient,
    ruleId: string,
    reason: string,
    andWhere = "",
    extra: unknown[] = [],
  ): Promise<void> {
    const now = new Date(this.now());
    const r = await c.query<AlarmRow>(
      `UPDATE alarms SET state = 'cleared', cleared_at = $2, clear_reason = $3
        WHERE rule_id = $1 AND state <> 'cleared' ${andWhere} RETURNING ${ALARM_COLUMNS}`,
      [ruleId, now, reason, ...extra],
    );
    const ts = now.toISOString();
    await queueAlerts(
      c,
      r.rows.map((row) => alertOf(row, { state: "cleared", value: row.value, threshold: row.threshold, ts })),
    );
  }
}
