import { formatMicros, microsOf, type Presence } from "@sensorstream/contracts";
import type { PresenceStore } from "./adapters/presence-store.js";
import type { RegistryMessage } from "./adapters/registry-messages.js";
import type { Folded, SensorEvent } from "./core/fold.js";
import { ackEvents } from "./handlers/ack.js";
import { activityEvents } from "./handlers/activity.js";
import { connectionEvents } from "./handlers/connection.js";
import { statusEvents } from "./handlers/status.js";
import type { RegistryMetrics } from "./metrics.js";

/** What becomes of one message of a batch once it committed. */
export type Verdict = { ok: true } | { ok: false; reason: "unknown_sensor"; error: string };

export type Announce = (presence: Presence, messageId: string) => Promise<void>;

const eventsOf = (m: RegistryMessage, source: number): SensorEvent[] => {
  switch (m.kind) {
    case "status":
      return statusEvents(m.message, source);
    case "connection":
      return connectionEvents(m.message, source);
    case "activity":
      return activityEvents(m.message, source);
    case "ack":
      return ackEvents(m.message, source);
    default: {
      const never: never = m;
      return never;
    }
  }
};

/**
 * The registry's batch handler: every message of the batch becomes sensor events (one handler per kind),
 * all applied in one transaction, in delivery order per sensor. After the commit, transitions are announced
 * and each message gets its verdict; a status of an unknown sensor (REGISTRATION=manual) is dead-lettered.
 * A database error throws: the caller retries the whole batch, unacked.
 */
export function createBatchHandler(o: {
  store: PresenceStore;
  metrics: RegistryMetrics;
  announce: Announce;
  clock: () => number;
}) {
  /** Commit time minus the newest receive time of the last batch: how far behind the queue the registry runs. */
  let lagUs = 0;
  let applied = 0;

  // Broadcasts, confirmed in parallel; a failed one is logged by announce and does not fail the batch.
  const announceAll = async (folded: Folded): Promise<void> => {
    await Promise.all(
      folded.changes.flatMap((c) =>
        c.transitions.map((t) => {
          o.metrics.transitions.inc({ state: t.to });
          const presence: Presence = { sensor_id: c.sensorId, state: t.to, previous: t.from, ts: formatMicros(t.us) };
          return o.announce(presence, `${c.sensorId}-${t.us}-${t.to}`);
        }),
      ),
    );
  };

  return {
    get lagUs() {
      return lagUs;
    },
    /** Batches applied since start; the silence check waits for the first (see presence-check.ts). */
    get applied() {
      return applied;
    },
    announceAll,
    async handle(messages: readonly RegistryMessage[]): Promise<Verdict[]> {
      const end = o.metrics.batchSeconds.startTimer();
      const events = messages.flatMap((m, i) => eventsOf(m, i));
      const folded = await o.store.applyBatch(events);
      await announceAll(folded);
      const unknown = new Set<number>();
      folded.outcomes.forEach((outcome, i) => {
        const e = events[i] as SensorEvent;
        const m = messages[e.source] as RegistryMessage;
        if (outcome === "unknown_sensor" && m.kind === "status") unknown.add(e.source);
        o.metrics.events.inc({ kind: m.kind, outcome });
      });
      end();
      o.metrics.batchMessages.observe(messages.length);
      const newest = messages.reduce((max, m) => Math.max(max, microsOf(m.message.received_at)), 0);
      lagUs = Math.max(0, o.clock() * 1000 - newest);
      o.metrics.lag.set(lagUs / 1e6);
      applied++;
      return messages.map(
        (m, i): Verdict =>
          unknown.has(i) && m.kind === "status"
            ? {
                ok: false,
                reason: "unknown_sensor",
                error: `sensor ${m.message.sensor_id} is not registered (REGISTRATION=manual)`,
              }
            : { ok: true },
      );
    },
  };
}
