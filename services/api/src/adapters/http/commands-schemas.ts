import { COMMAND_STATES } from "@sensorstream/commands";
import { COMMAND_NAMES, sensorIdSchema } from "@sensorstream/contracts";
import { z } from "zod";
import { label, time } from "./schemas.js";

/** A command lives this long unless `ttl_s` says otherwise: unacked by then, it is expired and never sent again. */
export const DEFAULT_TTL_S = 300;
const MAX_TTL_S = 7 * 86_400;
/** At most this many sensors per bulk command (sensor_ids, or what `type`/`all` select). */
export const MAX_BULK = 10_000;

const ttl = z
  .number({ error: "ttl_s must be a whole number of seconds" })
  .int("ttl_s must be a whole number of seconds")
  .min(1, "ttl_s must be at least 1")
  .max(MAX_TTL_S, `ttl_s must be at most ${MAX_TTL_S}`)
  .default(DEFAULT_TTL_S)
  .describe(`seconds until the command expires (default ${DEFAULT_TTL_S})`);
const noArgs = z.strictObject({}).default({}).describe("none: {}");
const hzArgs = z.strictObject({
  hz: z
    .number({ error: "args.hz must be a number of samples per second" })
    .positive("args.hz must be greater than 0")
    .max(10_000, "args.hz must be at most 10000"),
});

/** name + args + ttl_s, the args checked by name; an unknown name is refused naming the field. */
const variants = <T extends z.ZodRawShape>(extra: T) =>
  z.discriminatedUnion(
    "name",
    [
      z.strictObject({ name: z.literal("sleep"), args: noArgs, ttl_s: ttl, ...extra }),
      z.strictObject({ name: z.literal("awake"), args: noArgs, ttl_s: ttl, ...extra }),
      z.strictObject({ name: z.literal("change_sample_frequency"), args: hzArgs, ttl_s: ttl, ...extra }),
    ],
    { error: `name must be one of ${COMMAND_NAMES.join(", ")}` },
  );

export const commandBody = variants({});

export const bulkCommandBody = variants({
  sensor_ids: z.array(sensorIdSchema).min(1).max(MAX_BULK).optional().describe("these sensors"),
  type: label("type").optional().describe("every sensor of this type"),
  all: z.literal(true).optional().describe("every registered sensor"),
}).superRefine((b, ctx) => {
  const chosen = [b.sensor_ids !== undefined, b.type !== undefined, b.all !== undefined].filter(Boolean).length;
  if (chosen !== 1) {
    ctx.addIssue({ code: "custom", path: ["sensor_ids"], message: "give exactly one of sensor_ids, type or all" });
  }
});

export const commandSchema = z.object({
  command_id: z.uuid(),
  sensor_id: z.string(),
  name: z.enum(COMMAND_NAMES),
  args: z.record(z.string(), z.unknown()),
  state: z
    .enum(COMMAND_STATES)
    .describe("queued → sent (a gateway handed it to the sensor) → acked | failed (the sensor said error) | expired"),
  issued_at: time(),
  expires_at: time(),
  sent_at: time().nullable(),
  settled_at: time("when it was acked, failed or expired").nullable(),
  error: z.string().nullable().describe("the sensor's error, for a failed command"),
});
