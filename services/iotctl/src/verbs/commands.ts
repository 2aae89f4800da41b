import { type Command as Cli, Option } from "commander";
import { contextOf } from "../context.js";
import type { Io } from "../io.js";
import { keyValues, table } from "../output.js";
import { COMMAND_STATES, type Command, commandColumns } from "../views.js";
import { positiveInt } from "./parse.js";
import { sensorId } from "./sensors.js";

type Page = { items: Command[]; next_before?: string | null };

export function addCommandVerbs(program: Cli, io: Io): void {
  const commands = program.command("commands").description("inspect commands sent to sensors");

  commands
    .command("get")
    .description("show one command and its state")
    .argument("<command_id>", "the command_id iotctl sleep|awake|set-frequency printed")
    .action(async (id: string, _o: unknown, cmd: Cli) => {
      const ctx = contextOf(cmd, io);
      const c = await ctx.api.request<Record<string, unknown>>("GET", `/commands/${encodeURIComponent(id)}`);
      ctx.print(c, keyValues);
    });

  commands
    .command("list")
    .description("a sensor's commands, newest first (one page)")
    .argument("<sensor_id>", "sensor id", sensorId)
    .addOption(new Option("--state <state>", "only commands in this state").choices(COMMAND_STATES))
    .option("--limit <n>", "page size", positiveInt("--limit"))
    .option("--before <cursor>", "the next page: the cursor the previous page printed")
    .action(async (id: string, o: { state?: string; limit?: number; before?: string }, cmd: Cli) => {
      const ctx = contextOf(cmd, io);
      const page = await ctx.api.request<Page>("GET", `/sensors/${encodeURIComponent(id)}/commands`, {
        query: { state: o.state, limit: o.limit, before: o.before },
      });
      ctx.print(page.items, (rows) => table(commandColumns, rows));
      if (page.next_before) ctx.say(`older commands: iotctl commands list ${id} --before ${page.next_before}`);
    });
}
