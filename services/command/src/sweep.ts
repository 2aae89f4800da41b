import type { HandlerDeps } from "./handlers/deps.js";

/** At most this many stale commands are published again per sweep (the next sweep takes the rest). */
const RETRY_BATCH = 1_000;

/** Marks open commands past their expiry as expired (they are never sent after that: pending() excludes them). */
export async function sweepExpired(d: Pick<HandlerDeps, "store" | "metrics" | "clock">): Promise<number> {
  const expired = await d.store.expireDue(new Date(d.clock()));
  for (const c of expired) d.metrics.settled.inc({ name: c.name, state: "expired" });
  return expired.length;
}

/**
 * Publishes again the queued commands of reachable sensors whose last publish is older than `retryS`: a publish
 * lost while the bus was down, or while the sensor's gateway replica was restarting, is not waited on until the
 * sensor's presence next changes.
 */
export async function retryStale(
  d: Pick<HandlerDeps, "store" | "metrics" | "clock" | "send">,
  retryS: number,
): Promise<number> {
  const now = d.clock();
  const stale = await d.store.stale(new Date(now), new Date(now - retryS * 1000), RETRY_BATCH);
  for (const c of stale) {
    await d.send(c);
    d.metrics.resent.inc();
  }
  return stale.length;
}
