import { z } from "zod";
import { COMMAND_NAMES } from "./topics.js";

/** platform -> sensor, on sensors/<id>/commands/<name>. */
export const commandSchema = z.object({
  command_id: z.uuid(),
  name: z.enum(COMMAND_NAMES),
  args: z.record(z.string(), z.unknown()),
  issued_at: z.iso.datetime({ offset: true }),
  expires_at: z.iso.datetime({ offset: true }),
});
export type Command = z.output<typeof commandSchema>;

/**
 * platform -> any subscriber, on alerts/<id>. `acknowledged` (a person acknowledged an open alarm) was added after
 * raised/cleared: subscribers that know only those two may ignore it.
 */
export const alertSchema = z.object({
  alarm_id: z.string().min(1),
  rule_id: z.string().min(1),
  sensor_id: z.string().min(1),
  metric: z.string().min(1),
  value: z.number(),
  threshold: z.number(),
  severity: z.enum(["info", "warning", "critical"]),
  state: z.enum(["raised", "acknowledged", "cleared"]),
  ts: z.iso.datetime({ offset: true }),
});
export type Alert = z.output<typeof alertSchema>;

export const PRESENCE_STATES = ["online", "offline", "asleep", "silent"] as const;
/** registry -> other services, on sensor_<id>.presence. */
export const presenceSchema = z.object({
  sensor_id: z.string().min(1),
  state: z.enum(PRESENCE_STATES),
  previous: z.enum(PRESENCE_STATES).nullable(),
  ts: z.iso.datetime({ offset: true }),
});
export type Presence = z.output<typeof presenceSchema>;
