import type { Command, CommandName } from "@sensorstream/contracts";

export const COMMAND_STATES = ["queued", "sent", "acked", "failed", "expired"] as const;
export type CommandState = (typeof COMMAND_STATES)[number];
/** The states after which nothing changes any more. */
export const FINAL_STATES: readonly CommandState[] = ["acked", "failed", "expired"];

/** A command as the API shows it; `issued_at`/`expires_at` are RFC 3339 UTC. */
export type CommandRecord = {
  command_id: string;
  sensor_id: string;
  name: CommandName;
  args: Record<string, unknown>;
  state: CommandState;
  issued_at: string;
  expires_at: string;
  sent_at: string | null;
  settled_at: string | null;
  error: string | null;
};

export const COMMAND_COLUMNS =
  "command_id, sensor_id, name, args, state, issued_at, expires_at, sent_at, settled_at, error";

export type CommandRow = {
  command_id: string;
  sensor_id: string;
  name: CommandName;
  args: Record<string, unknown>;
  state: CommandState;
  issued_at: Date;
  expires_at: Date;
  sent_at: Date | null;
  settled_at: Date | null;
  error: string | null;
};

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toCommandRecord(r: CommandRow): CommandRecord {
  return {
    command_id: r.command_id,
    sensor_id: r.sensor_id,
    name: r.name,
    args: r.args,
    state: r.state,
    issued_at: r.issued_at.toISOString(),
    expires_at: r.expires_at.toISOString(),
    sent_at: iso(r.sent_at),
    settled_at: iso(r.settled_at),
    error: r.error,
  };
}

/** What a device receives (commandSchema): the same bytes on the bus and over MQTT. */
export function devicePayload(
  c: Pick<CommandRecord, "command_id" | "name" | "args" | "issued_at" | "expires_at">,
): Command {
  return { command_id: c.command_id, name: c.name, args: c.args, issued_at: c.issued_at, expires_at: c.expires_at };
}
