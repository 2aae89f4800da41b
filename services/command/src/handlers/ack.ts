import type { AckMessage } from "@sensorstream/contracts";
import type { HandlerDeps } from "./deps.js";

/**
 * The sensor's ack settles the command (acked or failed). An ack for an unknown command, for another sensor's
 * command or for one already settled changes nothing: it is counted and acked off the queue (a sensor may
 * legitimately ack a resend twice).
 */
export async function handleAck(m: AckMessage, d: HandlerDeps): Promise<void> {
  const ok = m.ack.status === "ok";
  const r = await d.store.settle(m.ack.command_id, m.sensor_id, ok, m.ack.error ?? null, new Date(d.clock()));
  if (!r.ok) {
    d.metrics.badAcks.inc({ reason: r.reason });
    d.logger.info({ command_id: m.ack.command_id, reason: r.reason }, "ack changed nothing");
    return;
  }
  const c = r.command;
  d.metrics.settled.inc({ name: c.name, state: c.state });
  const latencyS = (Date.parse(c.settled_at ?? c.issued_at) - Date.parse(c.issued_at)) / 1000;
  d.metrics.ackSeconds.observe({ name: c.name }, Math.max(0, latencyS));
}
