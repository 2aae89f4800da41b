import { randomUUID } from "node:crypto";
import type { Bus } from "@sensorstream/bus";
import {
  type CommittedReadings,
  type MeasurementMessage,
  READINGS_COMMITTED_ROUTING_KEY,
} from "@sensorstream/contracts";
import type { Counter } from "@sensorstream/runtime";

/**
 * Tells the live stream about a committed batch: one message for the whole batch, published after COMMIT and not
 * awaited, so the batch's acks never wait for it. Not mandatory: with no live stream declared nobody needs it.
 * A failed publish is counted and the readings are missing from the live view only (they are stored).
 */
export function announceCommitted(
  bus: Bus,
  messages: readonly MeasurementMessage[],
  announced: Counter<"outcome">,
): void {
  const body: CommittedReadings = { readings: [] };
  for (const m of messages) {
    for (const r of m.readings) body.readings.push({ sensor_id: m.sensor_id, time: r.time, values: r.values });
  }
  if (body.readings.length === 0) return;
  bus
    .publish(READINGS_COMMITTED_ROUTING_KEY, Buffer.from(JSON.stringify(body)), {
      messageId: randomUUID(),
      mandatory: false,
    })
    .then(
      () => announced.inc({ outcome: "ok" }),
      () => announced.inc({ outcome: "failed" }),
    );
}
