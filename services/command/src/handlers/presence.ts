import type { Presence } from "@sensorstream/contracts";
import { commandsToConverge } from "../core/converge.js";
import type { HandlerDeps } from "./deps.js";

/**
 * A sensor that is reachable again (online, or asleep: a sleeping sensor keeps its commands subscription, which
 * is how an `awake` reaches it) gets every command it has not acked and that has not expired, oldest first.
 * Going offline or silent needs nothing: its commands wait in the table. Coming online with a mode or rate other
 * than the desired one (and no pending command to fix it) issues the command that converges it.
 */
export async function handlePresence(m: Presence, d: HandlerDeps): Promise<void> {
  if (m.state !== "online" && m.state !== "asleep") return;
  const { pending, settings } = await d.reachable(m.sensor_id);
  for (const c of pending) {
    await d.send(c);
    d.metrics.resent.inc();
  }
  if (m.state !== "online") return;
  // A sensor back online with a stale mode or rate (e.g. it rebooted into its defaults) is told again.
  const needed = settings ? commandsToConverge(settings, pending) : [];
  if (needed.length === 0) return;
  for (const c of await d.issue(m.sensor_id, needed)) {
    await d.send(c);
    d.metrics.converge.inc({ name: c.name });
  }
}
