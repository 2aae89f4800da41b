import { RULE_COLUMNS, type RuleRow, toAlarmRule } from "@sensorstream/alarms";
import type { Pool } from "@sensorstream/db";
import { prepareRules, type RuleSet } from "../core/rules.js";

/**
 * The enabled rules, reloaded every ALARM_RULES_POLL_MS on every replica: a rule created, changed, disabled or
 * deleted through the API takes effect within that, without a restart or a message to every replica. Reading
 * the version first keeps a poll that finds nothing new to one tiny query.
 */
export class RuleSource {
  private version = "";
  private current: RuleSet = prepareRules([]);

  constructor(private readonly pool: Pool) {}

  get rules(): RuleSet {
    return this.current;
  }

  /** Reloads when anything changed; returns whether it did. */
  async refresh(): Promise<boolean> {
    const v = await this.pool.query<{ v: string }>(
      "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') AS v FROM alarm_rules",
    );
    const version = v.rows[0]?.v ?? "";
    if (version === this.version) return false;
    const r = await this.pool.query<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alarm_rules WHERE enabled`);
    this.current = prepareRules(r.rows.map(toAlarmRule));
    this.version = version;
    return true;
  }
}
