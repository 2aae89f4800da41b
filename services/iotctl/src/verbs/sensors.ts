import { isSensorId, PRESENCE_STATES } from "@sensorstream/contracts";
import { type Command, Option } from "commander";
import { contextOf } from "../context.js";
import { usageError } from "../errors.js";
import type { Io } from "../io.js";
import { keyValues, table } from "../output.js";
import { type Sensor, sensorColumns } from "../views.js";
import { positiveInt } from "./parse.js";

/** The largest page the API serves; `sensors list` follows the pages. */
const PAGE = 1000;

export function sensorId(id: string): string {
  if (!isSensorId(id)) {
    throw usageError(`"${id}" is not a sensor id: 1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit`);
  }
  return id;
}

export function addSensorVerbs(program: Command, io: Io): void {
  const sensors = program.command("sensors").description("list and inspect sensors");

  sensors
    .command("list")
    .description("list sensors in id order (every page)")
    .option("--type <type>", "only sensors of this type")
    .addOption(new Option("--state <presence>", "only sensors in this presence state").choices(PRESENCE_STATES))
    .option("--limit <n>", "at most this many sensors", positiveInt("--limit"))
    .action(async (o: { type?: string; state?: string; limit?: number }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const found: Sensor[] = [];
      let after: string | null | undefined;
      do {
        const want = Math.min(PAGE, (o.limit ?? Number.POSITIVE_INFINITY) - found.length);
        const page = await ctx.api.request<{ items: Sensor[]; next_after: string | null }>("GET", "/sensors", {
          query: { type: o.type, presence: o.state, limit: want, after: after ?? undefined },
        });
        found.push(...page.items);
        after = page.next_after;
      } while (after && found.length < (o.limit ?? Number.POSITIVE_INFINITY));
      ctx.print(found, (rows) => table(sensorColumns, rows));
      if (ctx.format === "table") ctx.say(`${found.length} sensor(s)`);
    });

  sensors
    .command("get")
    .description("show one sensor: metadata, presence, desired and reported state")
    .argument("<id>", "sensor id", sensorId)
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const s = await ctx.api.request<Record<string, unknown>>("GET", `/sensors/${encodeURIComponent(id)}`);
      ctx.print(s, keyValues);
    });
}
