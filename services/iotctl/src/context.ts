import type { Command } from "commander";
import { ApiClient } from "./client.js";
import type { Io } from "./io.js";
import { json, type OutputFormat } from "./output.js";

export const DEFAULT_API = "http://localhost:8080";

type GlobalOptions = { api?: string; token?: string; output?: OutputFormat };

/** What a verb works with: the API client and the chosen output, resolved from the global options and the environment. */
export type Context = {
  io: Io;
  api: ApiClient;
  format: OutputFormat;
  /** Data to stdout: `value` as JSON, or the table `render` makes of it. */
  print: <T>(value: T, render: (value: T) => string) => void;
  /** A message to stderr. */
  say: (line: string) => void;
};

export function contextOf(cmd: Command, io: Io): Context {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const base = o.api ?? (io.env.IOTCTL_API || DEFAULT_API);
  const token = o.token ?? (io.env.IOTCTL_TOKEN || undefined);
  // A person at a terminal reads tables; a pipe or a script gets JSON unless it asks otherwise.
  const format = o.output ?? (io.stdoutIsTTY ? "table" : "json");
  return {
    io,
    api: new ApiClient(base, token, io.fetch),
    format,
    print: (value, render) => io.stdout(format === "json" ? json(value) : render(value)),
    say: (line) => io.stderr(`${line}\n`),
  };
}
