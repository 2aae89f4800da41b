import { type Command as Cli, Option } from "commander";
import { type Context, contextOf } from "../context.js";
import { CliError, EXIT, type ExitCode, usageError } from "../errors.js";
import type { Io } from "../io.js";
import { table } from "../output.js";
import { type Command, commandColumns } from "../views.js";
import { waitForCommands } from "../wait.js";
import { positiveInt, positiveNumber } from "./parse.js";
import { sensorId } from "./sensors.js";

type IssueOptions = { all?: boolean; type?: string; ttl?: number; wait?: boolean; timeout: number };
/** What the command verbs print: the shape of the API's bulk answer, whichever route was used. */
type Issued = { count: number; items: Command[] };
/** The API answers `items` (its list shape); issue 9 worded it `commands`, so that is read too. */
type BulkAnswer = { commands?: Command[]; items?: Command[]; count: number };

/** Exactly one way of choosing sensors: ids, --all or --type. */
function selection(ids: string[], o: IssueOptions): Record<string, unknown> {
  const ways = [ids.length > 0, o.all === true, o.type !== undefined].filter(Boolean).length;
  if (ways !== 1) throw usageError("choose the sensors one way: give sensor ids, or --all, or --type <type>");
  if (o.all) return { all: true };
  if (o.type !== undefined) return { type: o.type };
  return { sensor_ids: ids };
}

async function send(
  ctx: Context,
  name: string,
  args: Record<string, unknown>,
  ids: string[],
  o: IssueOptions,
): Promise<Issued> {
  const body = { name, args, ...(o.ttl === undefined ? {} : { ttl_s: o.ttl }) };
  const only = ids.length === 1 ? ids[0] : undefined;
  // One sensor: its own route, whose 404 names the unknown sensor. Several: one request for all of them.
  if (only !== undefined && !o.all && o.type === undefined) {
    const c = await ctx.api.request<Command>("POST", `/sensors/${encodeURIComponent(only)}/commands`, { body });
    return { count: 1, items: [c] };
  }
  const r = await ctx.api.request<BulkAnswer>("POST", "/commands", { body: { ...body, ...selection(ids, o) } });
  const items = r.items ?? r.commands ?? [];
  return { count: items.length, items };
}

/** The exit code of a finished --wait: 0 only when every command was acked. */
function waitedExit(commands: readonly Command[], timedOut: boolean): ExitCode {
  if (timedOut) return EXIT.timeout;
  return commands.every((c) => c.state === "acked") ? EXIT.ok : EXIT.notAcked;
}

async function issue(
  ctx: Context,
  name: string,
  args: Record<string, unknown>,
  ids: string[],
  o: IssueOptions,
): Promise<ExitCode> {
  selection(ids, o);
  const issued = await send(ctx, name, args, ids, o);
  if (issued.count === 0) throw new CliError("no sensor matched the selection; nothing was sent", EXIT.notAcked);
  ctx.say(`issued ${name} to ${issued.count} sensor(s)`);
  if (!o.wait) {
    ctx.print(issued, (v) => table(commandColumns, v.items));
    return EXIT.ok;
  }
  const done = await waitForCommands(ctx.api, issued.items, o.timeout * 1000, ctx.io);
  ctx.print({ count: done.commands.length, items: done.commands }, (v) => table(commandColumns, v.items));
  const code = waitedExit(done.commands, done.timedOut);
  if (code === EXIT.timeout) ctx.say(`gave up waiting after ${o.timeout} s; iotctl commands get <id> shows a state`);
  else if (code === EXIT.notAcked) ctx.say("not every command was acked (see STATE and ERROR)");
  return code;
}

function withSelection(cmd: Cli): Cli {
  return cmd
    .option("--all", "every registered sensor")
    .option("--type <type>", "every sensor of this type")
    .option(
      "--ttl <seconds>",
      "expire the command if not acked within this time (default: the API's)",
      positiveInt("--ttl"),
    )
    .option("--wait", "wait until every command is acked, failed or expired")
    .addOption(
      new Option("--timeout <seconds>", "with --wait: give up after this long")
        .default(60)
        .argParser(positiveNumber("--timeout")),
    );
}

export function addIssueVerbs(program: Cli, io: Io, exit: (code: ExitCode) => void): void {
  const run = (cmd: Cli, name: string, args: Record<string, unknown>, ids: string[]) =>
    issue(contextOf(cmd, io), name, args, ids, cmd.opts<IssueOptions>()).then(exit);
  const ids = (id: string, prev: string[] = []) => [...prev, sensorId(id)];

  withSelection(program.command("sleep").description("tell sensors to stop sending readings (they stay connected)"))
    .argument("[ids...]", "sensor ids", ids)
    .action((list: string[] = [], _o: unknown, cmd: Cli) => run(cmd, "sleep", {}, list));

  withSelection(program.command("awake").description("tell sleeping sensors to send readings again"))
    .argument("[ids...]", "sensor ids", ids)
    .action((list: string[] = [], _o: unknown, cmd: Cli) => run(cmd, "awake", {}, list));

  withSelection(program.command("set-frequency").description("change how often sensors take readings"))
    .argument("<hz>", "readings per second, > 0", positiveNumber("<hz>"))
    .argument("[ids...]", "sensor ids", ids)
    .action((hz: number, list: string[] = [], _o: unknown, cmd: Cli) =>
      run(cmd, "change_sample_frequency", { hz }, list),
    );
}
