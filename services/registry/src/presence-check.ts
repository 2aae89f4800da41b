import type { PresenceStore } from "./adapters/presence-store.js";
import type { Folded } from "./core/fold.js";

/**
 * The silence check: online, awake sensors quiet for too long become silent. "Now" is the registry's
 * watermark, not the wall clock: when the registry runs behind its queue (a backlog of events), the activity
 * that would keep a sensor online may still be waiting there, so the check looks only as far as what has been
 * applied (now minus the lag measured at the last batch). Until the first batch the lag is unknown (a restart
 * after an outage delivers its backlog at once), so nothing is checked for the first STARTUP_GRACE_MS unless a
 * batch lands; after that an idle queue means there is no backlog.
 */
const STARTUP_GRACE_MS = 30_000;

export function createPresenceCheck(o: {
  store: Pick<PresenceStore, "silentCandidates" | "applyBatch">;
  clock: () => number;
  progress: () => { applied: number; lagUs: number };
  afterCommit: (folded: Folded) => Promise<void>;
}) {
  const startedAt = o.clock();
  return async (): Promise<void> => {
    const { applied, lagUs } = o.progress();
    if (applied === 0 && o.clock() - startedAt < STARTUP_GRACE_MS) return;
    const watermarkUs = o.clock() * 1000 - lagUs;
    const ids = await o.store.silentCandidates(watermarkUs);
    if (ids.length === 0) return;
    const folded = await o.store.applyBatch(
      ids.map((sensorId, source) => ({ sensorId, source, event: { type: "tick", us: watermarkUs } })),
    );
    await o.afterCommit(folded);
  };
}
