import type { RejectReason } from "@sensorstream/contracts";
import { backoff, type Logger, sleep } from "@sensorstream/runtime";
import type { Delivery } from "../consumer.js";
import type { Bus } from "../port.js";

export type Refusal = {
  reason: RejectReason;
  error: string;
  sensorId: string | undefined;
  schemaVersion: number | undefined;
};

/**
 * Dead-letters a delivery (a confirmed publish with the reason in headers), then acks it. A bus that cannot take the
 * dead letter is an outage, not a reason to lose the message: it is retried while the delivery is live.
 */
export async function deadLetterAndAck(
  bus: Bus,
  source: string,
  d: Delivery,
  r: Refusal,
  logger: Logger,
  stopping: AbortSignal,
): Promise<void> {
  const wait = backoff(200, 5_000);
  for (let attempt = 1; d.live(); attempt++) {
    try {
      await bus.deadLetter({
        reason: r.reason,
        error: r.error,
        source,
        body: d.content,
        messageId: d.messageId ?? `${source}-${Date.now()}`,
        routingKey: d.routingKey,
        ...(r.sensorId === undefined ? {} : { sensorId: r.sensorId }),
        ...(r.schemaVersion === undefined ? {} : { schemaVersion: r.schemaVersion }),
      });
      d.ack();
      return;
    } catch (err) {
      logger.warn({ err, attempt, routing_key: d.routingKey }, "could not dead-letter a message; retrying");
      if (stopping.aborted) return;
      await sleep(wait.next(), stopping);
    }
  }
}
