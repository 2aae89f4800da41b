/**
 * What a virtual sensor does with a command: pure decisions, no I/O. The fleet applies the effect and publishes the
 * ack (fleet-commands.ts). The simulator is the reference device, so these rules are the ones a real sensor follows
 * (README, "Commands").
 */
import { COMMAND_NAMES, commandSchema, MAX_SAMPLE_HZ, parseRfc3339ToMicros } from "@sensorstream/contracts";

/** How a sensor treats commands: obeys, answers every one with an error, or never answers. */
export type CommandBehaviour = "obey" | "fail" | "ignore";

export type Effect = { kind: "sleep" } | { kind: "awake" } | { kind: "rate"; hz: number };

/** The ack payload on sensors/<id>/acks (snake_case: it leaves the process). */
export type AckPayload = { command_id: string; status: "ok" | "error"; error?: string };

export type CommandDecision =
  /** Not a command we can answer (no usable command_id): dropped, counted. */
  | { kind: "malformed"; error: string }
  /** The sensor pretends not to have heard it. */
  | { kind: "ignored" }
  /** A resend of a command already answered: the same ack again, nothing done twice. */
  | { kind: "duplicate"; ack: AckPayload }
  | { kind: "answer"; ack: AckPayload; effect?: Effect };

export const EXPIRED_ERROR = "expired";
export const SIMULATED_FAILURE = "simulated failure (--fail-commands)";
/** How many answered command ids a sensor remembers to recognise resends. */
export const REMEMBERED_COMMANDS = 64;

const uuidOf = (json: unknown): string | undefined => {
  if (typeof json !== "object" || json === null) return undefined;
  const id = (json as Record<string, unknown>).command_id;
  return typeof id === "string" && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)
    ? id
    : undefined;
};

const error = (command_id: string, message: string): AckPayload => ({ command_id, status: "error", error: message });

/** The rate a change_sample_frequency asks for, or why it is unusable. */
function requestedHz(args: Record<string, unknown>): { ok: true; hz: number } | { ok: false; error: string } {
  const hz = args.hz;
  if (typeof hz !== "number" || !Number.isFinite(hz) || hz <= 0) {
    return { ok: false, error: `args.hz must be a number > 0, got ${JSON.stringify(hz) ?? "nothing"}` };
  }
  if (hz > MAX_SAMPLE_HZ) return { ok: false, error: `args.hz must be at most ${MAX_SAMPLE_HZ}, got ${hz}` };
  return { ok: true, hz };
}

/**
 * Decides what to do with a payload received on sensors/<id>/commands/<topicName>. `answered` maps the ids of
 * commands already answered to their acks (a resend before the platform processed our ack gets the same ack).
 * An expired command is answered with status error "expired" and not acted on: the platform then knows for certain
 * that it was not carried out, instead of waiting for a timeout.
 */
export function decideCommand(
  topicName: string,
  payload: Buffer | string,
  nowUs: number,
  behaviour: CommandBehaviour,
  answered: ReadonlyMap<string, AckPayload>,
): CommandDecision {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return { kind: "malformed", error: "payload is not JSON" };
  }
  const id = uuidOf(json);
  if (id === undefined) return { kind: "malformed", error: "no command_id (a UUID) to acknowledge" };
  if (behaviour === "ignore") return { kind: "ignored" };
  const previous = answered.get(id);
  if (previous !== undefined) return { kind: "duplicate", ack: previous };
  if (behaviour === "fail") return { kind: "answer", ack: error(id, SIMULATED_FAILURE) };

  const parsed = commandSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: "answer", ack: error(id, `${issue?.path.join(".") || "command"}: ${issue?.message ?? "invalid"}`) };
  }
  const command = parsed.data;
  if (command.name !== topicName) {
    const names = COMMAND_NAMES.join(", ");
    return {
      kind: "answer",
      ack: error(id, `name '${command.name}' does not match the topic's '${topicName}' (${names})`),
    };
  }
  const expires = parseRfc3339ToMicros(command.expires_at);
  if (expires.ok && expires.us <= nowUs) return { kind: "answer", ack: error(id, EXPIRED_ERROR) };

  const ok: AckPayload = { command_id: id, status: "ok" };
  switch (command.name) {
    case "sleep":
      return { kind: "answer", ack: ok, effect: { kind: "sleep" } };
    case "awake":
      return { kind: "answer", ack: ok, effect: { kind: "awake" } };
    case "change_sample_frequency": {
      const hz = requestedHz(command.args);
      return hz.ok
        ? { kind: "answer", ack: ok, effect: { kind: "rate", hz: hz.hz } }
        : { kind: "answer", ack: error(id, hz.error) };
    }
  }
}

/** Remembers an answered command, forgetting the oldest beyond REMEMBERED_COMMANDS. */
export function remember(answered: Map<string, AckPayload>, ack: AckPayload): void {
  answered.set(ack.command_id, ack);
  if (answered.size > REMEMBERED_COMMANDS) {
    const oldest = answered.keys().next().value;
    if (oldest !== undefined) answered.delete(oldest);
  }
}

/**
 * Which sensors fail or ignore commands: round(n * share) of the n sensors each, spread evenly over the fleet
 * (Bresenham-style, integer arithmetic, so the counts are exact and the same on every run).
 */
export function behaviourFor(index: number, count: number, failShare: number, ignoreShare: number): CommandBehaviour {
  const fails = Math.round(count * failShare);
  const ignores = Math.min(count - fails, Math.round(count * ignoreShare));
  const picks = (i: number, k: number, of: number): boolean =>
    Math.floor(((i + 1) * k) / of) > Math.floor((i * k) / of);
  if (picks(index, fails, count)) return "fail";
  // Ignoring is spread over the sensors that do not fail: this is the (index - fails before it)-th of them.
  const rest = count - fails;
  return rest > 0 && picks(index - Math.floor((index * fails) / count), ignores, rest) ? "ignore" : "obey";
}
