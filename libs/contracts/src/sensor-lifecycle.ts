import { z } from "zod";
import { sensorIdSchema } from "./sensor-id.js";

/**
 * registry (through @sensorstream/sensors) -> every data owner, on sensor_<id>.deleted: the sensor is gone from
 * the registry. With `purge_data`, each service that owns rows of that sensor (measurements and positions: the
 * measurement ingester; sensor_logs: the log ingester) deletes them from its own tables, in batches, idempotently.
 */
export const sensorDeletedRoutingKey = (sensorId: string): string => `sensor_${sensorId}.deleted`;

export const sensorDeletedSchema = z.object({
  msg_id: z.string().min(1).max(64),
  sensor_id: sensorIdSchema,
  purge_data: z.boolean(),
  deleted_at: z.iso.datetime({ offset: true }),
});
export type SensorDeleted = z.output<typeof sensorDeletedSchema>;
