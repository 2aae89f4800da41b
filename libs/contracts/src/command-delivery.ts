import { z } from "zod";

/**
 * gateway -> command service: a gateway replica handed a command to the sensor's live MQTT connection
 * (QoS 1 publish written to the socket; the sensor's own ack comes separately on sensor_<id>.commands.ack).
 *   sensor_<id>.commands.delivered
 * A replica that has no live connection for the sensor reports nothing: the command stays `queued`.
 */
export const commandDeliveredRoutingKey = (sensorId: string): string => `sensor_${sensorId}.commands.delivered`;

export const commandDeliveredSchema = z.object({
  msg_id: z.string().min(1).max(64),
  sensor_id: z.string().min(1).max(64),
  command_id: z.uuid(),
  gateway_id: z.string().min(1).max(128),
  delivered_at: z.iso.datetime({ offset: true }),
});
export type CommandDelivered = z.output<typeof commandDeliveredSchema>;
