import { type Command as Cli, Option } from "commander";
import { contextOf } from "../context.js";
import { usageError } from "../errors.js";
import type { Io } from "../io.js";
import { keyValues, table } from "../output.js";
import { type AlarmRuleView, alarmRuleColumns, SEVERITIES } from "../views.js";
import { positiveInt } from "./parse.js";
import { sensorId } from "./sensors.js";

const OPS = [">", ">=", "<", "<=", "outside"] as const;

const number = (flag: string) => (text: string) => {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw usageError(`${flag} must be a number, not "${text}"`);
  return n;
};
const seconds = (flag: string) => (text: string) => {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0)
    throw usageError(`${flag} must be seconds >= 0, not "${text}"`);
  return n;
};
const collect = (id: string, prev: string[] = []) => [...prev, sensorId(id)];

type CreateOptions = {
  name: string;
  kind: string;
  metric?: string;
  op?: string;
  threshold?: number;
  clear?: number;
  low?: number;
  high?: number;
  clearLow?: number;
  clearHigh?: number;
  for?: number;
  severity?: string;
  sensor?: string[];
  type?: string;
  all?: boolean;
  disabled?: boolean;
};

/** The API's rule body from the flags; the API checks the combination and names the field when it is wrong. */
function ruleBody(o: CreateOptions): Record<string, unknown> {
  const scopes = [o.sensor, o.type, o.all].filter((s) => s !== undefined).length;
  if (scopes !== 1) throw usageError("give exactly one scope: --sensor <id> (repeatable), --type <type> or --all");
  const scope = o.sensor ? { sensor_ids: o.sensor } : o.type !== undefined ? { type: o.type } : { all: true };
  const body: Record<string, unknown> = {
    name: o.name,
    kind: o.kind,
    metric: o.metric,
    op: o.op,
    threshold: o.threshold,
    clear_threshold: o.clear,
    low: o.low,
    high: o.high,
    clear_low: o.clearLow,
    clear_high: o.clearHigh,
    for_s: o.for,
    severity: o.severity,
    enabled: o.disabled ? false : undefined,
    scope,
  };
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
}

export function addAlarmRuleVerbs(alarms: Cli, io: Io): void {
  const rules = alarms.command("rules").description("alarm rules: create, list, delete");

  rules
    .command("create")
    .description("create a threshold rule (--metric --op --threshold) or a no-data rule (--kind no_data --for)")
    .requiredOption("--name <name>", "a name people recognise")
    .addOption(
      new Option("--kind <kind>", "no_data: raise when an awake sensor in scope sends nothing for --for seconds")
        .choices(["threshold", "no_data"])
        .default("threshold"),
    )
    .option("--metric <metric>", "the metric a threshold rule watches")
    .addOption(new Option("--op <op>", "the comparison; outside takes --low and --high").choices(OPS))
    .option("--threshold <n>", "raise when the value passes this", number("--threshold"))
    .option(
      "--clear <n>",
      "clear once the value is back past this (hysteresis; default the threshold)",
      number("--clear"),
    )
    .option("--low <n>", "op outside: the band's low end", number("--low"))
    .option("--high <n>", "op outside: the band's high end", number("--high"))
    .option("--clear-low <n>", "op outside: clears inside this low end", number("--clear-low"))
    .option("--clear-high <n>", "op outside: clears inside this high end", number("--clear-high"))
    .option("--for <seconds>", "how long the condition must hold (no-data: the silence)", seconds("--for"))
    .addOption(new Option("--severity <severity>", "default warning").choices(SEVERITIES))
    .option("--sensor <id>", "scope: this sensor (repeatable)", collect)
    .option("--type <type>", "scope: every sensor of this type")
    .option("--all", "scope: every sensor")
    .option("--disabled", "create it disabled")
    .action(async (o: CreateOptions, cmd: Cli) => {
      const ctx = contextOf(cmd, io);
      const rule = await ctx.api.request<AlarmRuleView>("POST", "/alarm-rules", { body: ruleBody(o) });
      ctx.print(rule as unknown as Record<string, unknown>, keyValues);
    });

  rules
    .command("list")
    .description("alarm rules in rule_id order (one page)")
    .option("--limit <n>", "page size", positiveInt("--limit"))
    .option("--after <rule_id>", "the next page: the rule_id the previous page printed")
    .action(async (o: { limit?: number; after?: string }, cmd: Cli) => {
      const ctx = contextOf(cmd, io);
      const page = await ctx.api.request<{ items: AlarmRuleView[]; next_after: string | null }>("GET", "/alarm-rules", {
        query: { limit: o.limit, after: o.after },
      });
      ctx.print(page.items, (rows) => table(alarmRuleColumns, rows));
      if (page.next_after) ctx.say(`more rules: iotctl alarms rules list --after ${page.next_after}`);
    });

  rules
    .command("delete")
    .description("delete a rule (its open alarms are cleared; the history stays)")
    .argument("<rule_id>", "the rule's id (iotctl alarms rules list)")
    .action(async (id: string, _o: unknown, cmd: Cli) => {
      const ctx = contextOf(cmd, io);
      await ctx.api.request("DELETE", `/alarm-rules/${encodeURIComponent(id)}`);
      ctx.say(`deleted rule ${id}`);
    });
}
