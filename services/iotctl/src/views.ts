import type { Column } from "./output.js";

/** The fields of the API's answers that iotctl reads; everything else is passed through to -o json. */
export type Sensor = {
  id: string;
  type: string | null;
  presence: string;
  last_seen: string | null;
  reported: { mode: string | null; sample_hz: number | null };
  desired: { mode: string | null; sample_hz: number | null };
  in_sync: boolean;
};

export const COMMAND_STATES = ["queued", "sent", "acked", "failed", "expired"] as const;
/** After these, a command's state never changes. */
export const FINAL_STATES: readonly string[] = ["acked", "failed", "expired"];

export type Command = {
  command_id: string;
  sensor_id: string;
  name: string;
  args: Record<string, unknown>;
  state: string;
  issued_at: string;
  expires_at: string;
  error?: string | null;
};

export const sensorColumns: Column<Sensor>[] = [
  { header: "ID", value: (s) => s.id },
  { header: "TYPE", value: (s) => s.type },
  { header: "PRESENCE", value: (s) => s.presence },
  { header: "MODE", value: (s) => s.reported.mode },
  { header: "HZ", value: (s) => s.reported.sample_hz },
  { header: "IN_SYNC", value: (s) => s.in_sync },
  { header: "LAST_SEEN", value: (s) => s.last_seen },
];

export const commandColumns: Column<Command>[] = [
  { header: "COMMAND_ID", value: (c) => c.command_id },
  { header: "SENSOR", value: (c) => c.sensor_id },
  { header: "NAME", value: (c) => c.name },
  { header: "ARGS", value: (c) => c.args },
  { header: "STATE", value: (c) => c.state },
  { header: "ISSUED_AT", value: (c) => c.issued_at },
  { header: "EXPIRES_AT", value: (c) => c.expires_at },
  { header: "ERROR", value: (c) => c.error },
];
