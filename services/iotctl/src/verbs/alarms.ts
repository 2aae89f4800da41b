import { type Command as Cli, Option } from "commander";
import { contextOf } from "../context.js";
import type { Io } from "../io.js";
import { keyValues, table } from "../output.js";
import { ALARM_STATES, type AlarmView, alarmColumns, SEVERITIES } from "../views.js";
import { addAlarmRuleVerbs } from "./alarm-rules.js";
import { addAlarmWatchVerb } from "./alarms-watch.js";
import { positiveInt } from "./parse.js";
import { sensorId } from "./sensors.js";

export function addAlarmVerbs(program: Cli, io: Io): void {
  const alarms = program.command("alarms").description("alarm rules, alarms, acknowledgements, live alerts");
  addAlarmRuleVerbs(alarms, io);

  alarms
    .command("list")
    .description("alarms, newest raised first (one page); open ones unless --state says otherwise")
    .addOption(new Option("--state <state>", "open (default), cleared or all").choices(ALARM_STATES))
    .option("--sensor <id>", "only this sensor's", sensorId)
    .addOption(new Option("--severity <severity>", "only this severity").choices(SEVERITIES))
    .option("--rule <rule_id>", "only this rule's")
    .option("--limit <n>", "page size", positiveInt("--limit"))
    .option("--before <cursor>", "the next page: the cursor the previous page printed")
    .action(
      async (
        o: { state?: string; sensor?: string; severity?: string; rule?: string; limit?: number; before?: string },
        cmd: Cli,
      ) => {
        const ctx = contextOf(cmd, io);
        const page = await ctx.api.request<{ items: AlarmView[]; next_before: string | null }>("GET", "/alarms", {
          query: {
            state: o.state,
            sensor_id: o.sensor,
            severity: o.severity,
            rule_id: o.rule,
            limit: o.limit,
            before: o.before,
          },
        });
        ctx.print(page.items, (rows) => table(alarmColumns, rows));
        if (page.next_before) ctx.say(`older alarms: iotctl alarms list --before ${page.next_before}`);
      },
    );

  alarms
    .command("ack")
    .description("acknowledge an open alarm (it still clears by itself when the value comes back)")
    .argument("<alarm_id>", "the alarm's id (iotctl alarms list)")
    .option("--by <name>", "who acknowledges it (default: api)")
    .action(async (id: string, o: { by?: string }, cmd: Cli) => {
      const ctx = contextOf(cmd, io);
      const a = await ctx.api.request<Record<string, unknown>>("POST", `/alarms/${encodeURIComponent(id)}/ack`, {
        query: { by: o.by },
      });
      ctx.print(a, keyValues);
    });

  addAlarmWatchVerb(alarms, io);
}
