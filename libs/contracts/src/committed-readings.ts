import { z } from "zod";
import { sensorIdSchema } from "./sensor-id.js";

/**
 * measurement ingester -> the live stream, on readings.committed: the readings of one batch, published once after
 * its COMMIT (one message per batch, not per reading). Best effort: the readings are stored either way; a publish
 * that fails only leaves them out of the live view. A replayed message may be announced twice.
 */
export const READINGS_COMMITTED_ROUTING_KEY = "readings.committed";

export const committedReadingsSchema = z.object({
  readings: z.array(
    z.object({
      sensor_id: sensorIdSchema,
      time: z.string(),
      values: z.record(z.string(), z.number()),
    }),
  ),
});
export type CommittedReadings = z.output<typeof committedReadingsSchema>;
