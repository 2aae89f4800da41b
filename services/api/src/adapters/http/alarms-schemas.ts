import { ALARM_STATES, OPS, RULE_KINDS, SEVERITIES } from "@sensorstream/alarms";
import { z } from "zod";
import { time } from "./schemas.js";

/** Response shapes of the alarm routes (documentation: handlers build these from libs/alarms records). */

export const alarmRuleSchema = z.object({
  rule_id: z.uuid(),
  name: z.string(),
  kind: z.enum(RULE_KINDS),
  enabled: z.boolean(),
  metric: z.string().optional().describe("threshold rules"),
  op: z.enum(OPS).optional(),
  threshold: z.number().optional(),
  clear_threshold: z.number().optional().describe("hysteresis: it clears once the value is back past this"),
  low: z.number().optional(),
  high: z.number().optional(),
  clear_low: z.number().optional(),
  clear_high: z.number().optional(),
  for_s: z.number().describe("threshold: how long the condition must hold; no_data: the silence that raises"),
  severity: z.enum(SEVERITIES),
  scope: z.union([
    z.object({ sensor_ids: z.array(z.string()) }),
    z.object({ type: z.string() }),
    z.object({ all: z.literal(true) }),
  ]),
  created_at: time(),
  updated_at: time(),
});

export const alarmSchema = z.object({
  alarm_id: z.uuid(),
  rule_id: z.uuid(),
  sensor_id: z.string(),
  metric: z.string().describe('the rule\'s metric; "no_data" for a no-data rule'),
  severity: z.enum(SEVERITIES),
  state: z.enum(ALARM_STATES),
  raised_at: time("reading time of the reading that raised it"),
  value: z.number().describe("the value that raised it (no_data: seconds without data)"),
  threshold: z.number(),
  acknowledged_at: time().nullable(),
  acknowledged_by: z.string().nullable(),
  cleared_at: time("reading time of the reading that cleared it (or when the rule was removed)").nullable(),
  cleared_value: z.number().nullable(),
  clear_reason: z
    .string()
    .nullable()
    .describe(
      "value, data_returned, asleep (a no-data alarm of a sensor told to sleep), rule_changed, rule_disabled, rule_deleted",
    ),
});
