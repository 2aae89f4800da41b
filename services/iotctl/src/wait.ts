import type { ApiClient } from "./client.js";
import { CliError } from "./errors.js";
import type { Io } from "./io.js";
import { type Command, FINAL_STATES } from "./views.js";

/** Commands asked about at once: enough to keep up with a fleet, few enough not to flood the API. */
const CONCURRENCY = 8;

export type WaitResult = { commands: Command[]; timedOut: boolean };

const isFinal = (c: Command): boolean => FINAL_STATES.includes(c.state);

/** `5 commands: 2 acked, 1 failed, 0 expired, 2 pending (1 queued, 1 sent)` */
function progressLine(commands: readonly Command[]): string {
  const n = (state: string) => commands.filter((c) => c.state === state).length;
  const pending = commands.filter((c) => !isFinal(c)).length;
  return (
    `${commands.length} command(s): ${n("acked")} acked, ${n("failed")} failed, ${n("expired")} expired, ` +
    `${pending} pending (${n("queued")} queued, ${n("sent")} sent)`
  );
}

async function refresh(api: ApiClient, pending: Command[]): Promise<Command[]> {
  const out: Command[] = [];
  for (let i = 0; i < pending.length; i += CONCURRENCY) {
    const batch = pending.slice(i, i + CONCURRENCY);
    out.push(
      ...(await Promise.all(
        batch.map((c) => api.request<Command>("GET", `/commands/${encodeURIComponent(c.command_id)}`)),
      )),
    );
  }
  return out;
}

/**
 * Polls until every command is acked, failed or expired, or `timeoutMs` passes. The progress line goes to
 * stderr: rewritten in place on a terminal, one line per change otherwise (logs stay short).
 */
export async function waitForCommands(
  api: ApiClient,
  issued: readonly Command[],
  timeoutMs: number,
  io: Io,
): Promise<WaitResult> {
  const latest = new Map(issued.map((c) => [c.command_id, c]));
  const deadline = io.now() + timeoutMs;
  let shown = "";
  const show = (final: boolean) => {
    const line = progressLine([...latest.values()]);
    if (io.stderrIsTTY) io.stderr(`\r\x1b[2Kwaiting: ${line}${final ? "\n" : ""}`);
    else if (line !== shown) io.stderr(`waiting: ${line}\n`);
    shown = line;
  };
  show(false);
  for (;;) {
    const pending = [...latest.values()].filter((c) => !isFinal(c));
    const left = deadline - io.now();
    if (pending.length === 0 || left <= 0) {
      show(true);
      return { commands: [...latest.values()], timedOut: pending.length > 0 };
    }
    await io.sleep(Math.min(io.pollIntervalMs, left));
    try {
      for (const c of await refresh(api, pending)) latest.set(c.command_id, c);
    } catch (err) {
      // The commands are issued: an API restart or overload during the wait is waited out, not fatal.
      if (!(err instanceof CliError && err.transient)) throw err;
      if (io.stderrIsTTY) io.stderr("\n");
      io.stderr(`waiting: ${err.message}; asking again until the timeout\n`);
    }
    show(false);
  }
}
