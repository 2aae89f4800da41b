import type { Counters } from "./counters.js";
import { buildDataMessage } from "./payload.js";
import { messageDueUs } from "./schedule.js";
import type { VirtualSensor } from "./virtual-sensor.js";

const OFFLINE_RETRY_US = 50_000;
const WINDOW_RETRY_US = 2_000;

/** What publishing a sample needs from the fleet. */
export type PublishContext = { c: Counters; batch: number; maxInflight: number };

/**
 * Sends the sensor's next message if it is due (by `horizonUs`) and may be sent (connected, fewer than maxInflight
 * unacked); returns when to look at the sensor again.
 */
export function publishDue(ctx: PublishContext, s: VirtualSensor, horizonUs: number, now: number): number {
  const { c } = ctx;
  const due = messageDueUs(s.clock, s.nextK);
  if (due > horizonUs) return due;
  // Samples wait (their times unchanged) while the sensor is offline or its window is full.
  if (!s.connected || s.link === undefined) return now + OFFLINE_RETRY_US;
  if (s.inflight >= ctx.maxInflight) return now + WINDOW_RETRY_US;
  const msg = buildDataMessage(s.signal, s.clock, s.nextK);
  s.nextK += ctx.batch;
  s.inflight++;
  c.inflight++;
  c.messagesSent++;
  c.readingsSent += msg.readings;
  s.link.publish(s.dataTopic, msg.payload, false, (err) => {
    s.inflight--;
    c.inflight--;
    if (err) {
      c.publishErrors++;
      c.lastError = `${s.id}: publish: ${err.message}`;
      return;
    }
    c.messagesAcked++;
    c.readingsAcked += msg.readings;
    c.valuesAcked += msg.values;
    c.positionsAcked += msg.positions;
  });
  return messageDueUs(s.clock, s.nextK);
}
