import type { Logger } from "@sensorstream/runtime";
import type { Aedes } from "aedes";
import { maySubscribe } from "../../core/access.js";
import type { GatewayMetrics } from "../metrics.js";
import type { Sessions } from "../sessions.js";

/**
 * SUBSCRIBE: a sensor to its own commands only, a read-only subscriber within its granted filters, nobody to $SYS.
 * A refused filter gets SUBACK 0x80 and the client stays connected.
 */
export function subscribeHandler(o: {
  sessions: Sessions;
  logger: Logger;
  metrics: GatewayMetrics;
}): Aedes["authorizeSubscribe"] {
  return (client, sub, callback) => {
    if (maySubscribe(o.sessions.identityOf(client), sub.topic)) return callback(null, sub);
    o.metrics.refused.inc({ action: "subscribe" });
    o.logger.warn({ client_id: client.id, topic: sub.topic.slice(0, 200) }, "subscription refused");
    callback(null, null);
  };
}
