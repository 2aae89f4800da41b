import type { Presence } from "@sensorstream/contracts";
import type { HandlerDeps } from "./deps.js";

/**
 * A sensor that is reachable again (online, or asleep: a sleeping sensor keeps its commands subscription, which
 * is how an `awake` reaches it) gets every command it has not acked and that has not expired, oldest first.
 * Going offline or silent needs nothing: its commands wait in the table.
 */
export async function handlePresence(m: Presence, d: HandlerDeps): Promise<void> {
  if (m.state !== "online" && m.state !== "asleep") return;
  const pending = await d.store.pending(m.sensor_id, new Date(d.clock()));
  for (const c of pending) {
    await d.send(c);
    d.metrics.resent.inc();
  }
}
