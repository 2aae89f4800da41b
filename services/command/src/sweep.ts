import type { HandlerDeps } from "./handlers/deps.js";

/** Marks open commands past their expiry as expired (they are never sent after that: pending() excludes them). */
export async function sweepExpired(d: Pick<HandlerDeps, "store" | "metrics" | "clock">): Promise<number> {
  const expired = await d.store.expireDue(new Date(d.clock()));
  for (const c of expired) d.metrics.settled.inc({ name: c.name, state: "expired" });
  return expired.length;
}
