import {
  formatMicros,
  MAX_LOG_FIELD_DEPTH,
  PRESENCE_STATES,
  parseRfc3339ToMicros,
  sensorIdSchema,
  unstorableJson,
  unstorableText,
} from "@sensorstream/contracts";
import type { SensorRecord } from "@sensorstream/sensors";
import { z } from "zod";
import { decodeCursor } from "../../core/cursor.js";

/** Shared pieces of the API's request and response schemas. */

export const time = (description = "RFC 3339, UTC") => z.string().meta({ format: "date-time", description });

export const sensorIdParams = z.strictObject({ id: sensorIdSchema.describe("sensor id") });

export const limitParam = (fallback: number, max: number) =>
  z.coerce
    .number({ error: `limit must be a whole number from 1 to ${max}` })
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .describe(`page size, 1-${max} (default ${fallback})`);

/** A time in a query, e.g. `from=2026-11-23T08:00:00Z`; normalized to UTC with microseconds. */
export const timeParam = (description: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const r = parseRfc3339ToMicros(text);
      if (r.ok) return formatMicros(r.us);
      ctx.addIssue({ code: "custom", message: r.error });
      return z.NEVER;
    })
    .meta({ format: "date-time", description: `${description}, RFC 3339 (e.g. 2026-11-23T08:00:00Z)` });

/** A page cursor handed out as `next_before`, read back into named parts (the first is a time); checked, never trusted. */
export const cursorParam = <const K extends readonly [string, ...string[]]>(kind: string, keys: K) =>
  z
    .string()
    .transform((text, ctx) => {
      const parts = decodeCursor(kind, text, keys.length);
      if (parts && parseRfc3339ToMicros(parts[0] ?? "").ok) {
        return Object.fromEntries(keys.map((k, i) => [k, parts[i]])) as { [P in K[number]]: string };
      }
      ctx.addIssue({
        code: "custom",
        message: "not a cursor of this listing; pass the next_before of the previous page unchanged",
      });
      return z.NEVER;
    })
    .describe("next_before of the previous page (opaque)");

/** A newest-first page: up to `limit` items and the cursor to the older ones. */
export const olderPage = (item: z.ZodType) =>
  z.object({
    items: z.array(item),
    next_before: z.string().nullable().describe("pass as `before` for older entries; null on the last page"),
  });

/** A page in id order: up to `limit` items and the id to continue after. */
export const idPage = <T extends z.ZodRawShape>(item: z.ZodType, extra?: T) =>
  z.object({
    ...extra,
    items: z.array(item),
    next_after: z.string().nullable().describe("pass as `after` for the next page; null on the last page"),
  });

const mode = z.enum(["awake", "asleep"]).nullable();

const sensorRecordSchema = z.object({
  id: z.string(),
  type: z.string().nullable(),
  model: z.string().nullable(),
  firmware: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  registered_by: z.enum(["api", "auto"]).describe("api: POST /api/sensors; auto: its first connect or status message"),
  created_at: time(),
  updated_at: time(),
  last_seen: time("last time anything was heard from it (accurate to a few seconds)").nullable(),
  presence: z.enum(PRESENCE_STATES),
  presence_since: time(),
  connection: z.enum(["unknown", "connected", "disconnected"]),
  reported: z.object({ mode, sample_hz: z.number().nullable() }).describe("what the sensor last said it does"),
  desired: z.object({ mode, sample_hz: z.number().nullable() }).describe("what commands asked it to do"),
  position: z.object({ lat: z.number(), lon: z.number(), time: time() }).nullable(),
  has_credentials: z.boolean().describe("false for an auto-registered sensor until its token is rotated"),
});

/** A sensor as the API shows it: the registry record, plus whether it does what it was told. */
export const sensorSchema = sensorRecordSchema.extend({
  in_sync: z.boolean().describe("every desired setting is what the sensor reports (true when nothing is desired)"),
});

export function toSensor(s: SensorRecord): z.output<typeof sensorSchema> {
  const inSync =
    (s.desired.mode === null || s.desired.mode === s.reported.mode) &&
    (s.desired.sample_hz === null || s.desired.sample_hz === s.reported.sample_hz);
  return { ...s, in_sync: inSync };
}

/** Names with a bounded length that PostgreSQL can store: type, model, firmware. */
export const label = (what: string) =>
  z
    .string()
    .min(1, `${what} cannot be empty`)
    .max(128, `${what} is at most 128 characters`)
    .refine((s) => unstorableText(s) === undefined, `${what} ${unstorableText("\u0000")}`)
    .describe(`${what}, 1-128 characters`);

/** Largest metadata object, serialized: it is read with every sensor, so it stays small. */
const MAX_METADATA_BYTES = 16 * 1024;

const metadataSchema = z
  .record(z.string(), z.unknown())
  .superRefine((metadata, ctx) => {
    // Checked first, iteratively: serializing deeper nesting would overflow the stack.
    const u = unstorableJson(metadata);
    if (u) return ctx.addIssue({ code: "custom", path: u.path, message: u.message });
    if (Buffer.byteLength(JSON.stringify(metadata), "utf8") > MAX_METADATA_BYTES) {
      ctx.addIssue({ code: "custom", message: `metadata is at most ${MAX_METADATA_BYTES / 1024} KiB of JSON` });
    }
  })
  .describe(
    `free JSON object (location, owner, ...), at most ${MAX_METADATA_BYTES / 1024} KiB and ${MAX_LOG_FIELD_DEPTH} levels deep; replaced as a whole on update`,
  );

/** What an operator says about a sensor (as opposed to what the sensor reports). */
export const descriptiveFields = {
  type: label("type").optional(),
  model: label("model").optional(),
  firmware: label("firmware").optional(),
  metadata: metadataSchema.optional(),
};
