import { z } from "zod";

/**
 * What the gateway itself observes, for the registry. Not part of the device contract:
 *   sensor_<id>.connection  a sensor's MQTT connection opened or closed (clean DISCONNECT or not)
 *   gateway.activity        every few seconds, the last time each sensor was heard from (and its last position),
 *                           so last_seen stays current without a database write per reading
 */
export const GATEWAY_ACTIVITY_ROUTING_KEY = "gateway.activity";
export const connectionRoutingKey = (sensorId: string): string => `sensor_${sensorId}.connection`;

const busTime = z.iso.datetime({ offset: true, precision: 6 });

export const connectionEventSchema = z.object({
  msg_id: z.string().min(1).max(64),
  sensor_id: z.string().min(1).max(64),
  received_at: busTime,
  connected: z.boolean(),
  /** For a disconnect: true when the client sent DISCONNECT (no Last Will is published then). */
  clean: z.boolean(),
  client_id: z.string().max(256),
  /**
   * When this connection was accepted (by the reporting gateway's clock); equal to received_at for a connect.
   * Presence is ordered by connection: a disconnect of a connection older than the sensor's current one is stale.
   * Absent on older messages.
   */
  connected_at: busTime.optional(),
});
export type ConnectionEvent = z.output<typeof connectionEventSchema>;

export const activityReportSchema = z.object({
  msg_id: z.string().min(1).max(64),
  gateway_id: z.string().min(1).max(128),
  received_at: busTime,
  sensors: z
    .array(
      z.object({
        sensor_id: z.string().min(1).max(64),
        last_seen: busTime,
        lat: z.number().gte(-90).lte(90).optional(),
        lon: z.number().gte(-180).lte(180).optional(),
        position_at: busTime.optional(),
      }),
    )
    .max(100_000),
});
export type ActivityReport = z.output<typeof activityReportSchema>;
