import type { CommandDelivered } from "@sensorstream/contracts";
import type { HandlerDeps } from "./deps.js";

/** A gateway replica handed the command to the sensor's connection: queued -> sent. A repeat changes nothing. */
export async function handleDelivered(m: CommandDelivered, d: HandlerDeps): Promise<void> {
  const sent = await d.store.markSent(m.command_id, m.sensor_id, new Date(m.delivered_at));
  if (sent) d.metrics.sent.inc({ name: sent.name });
}
