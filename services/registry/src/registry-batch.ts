import { formatMicros, microsOf, type Presence } from "@sensorstream/contracts";
import type { PresenceStore } from "./adapters/presence-store.js";
import type { RegistryMessage } from "./adapters/registry-messages.js";
import { ackedAfterLastStatus } from "./core/acked-commands.js";
import type { Folded, SensorEvent } from "./core/fold.js";
import { ackEvents } from "./handlers/ack.js";
import { activityEvents } from "./handlers/activity.js";
import { connectionEvents } from "./handlers/connection.js";
import { statusEvents } from "./handlers/status.js";
import type { RegistryMetrics } from "./metrics.js";

export type Announce = (presence: Presence, messageId: string) => Promise<void>;
/** A message of the batch to dead-letter, by its index. */
export type Refusal = { index: number; error: string };

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

/** Sensor events a message stands for: what a batch's size is counted in. */
/** What ackedAfterLastStatus needs of a message. */
function ackItem(m: RegistryMessage): Parameters<typeof ackedAfterLastStatus>[0][number] {
  if (m.kind === "status") return { kind: "status", sensorId: m.message.sensor_id };
  if (m.kind !== "ack") return { kind: "other" };
  const a = m.message;
  return { kind: "ack", sensorId: a.sensor_id, commandId: a.ack.command_id, ok: a.ack.status === "ok" };
}

export const eventCount = (m: RegistryMessage): number => (m.kind === "activity" ? m.message.sensors.length : 1);

/**
 * The registry's batch handler: every message of the batch becomes sensor events (one handler per kind),
 * all applied in one transaction, in delivery order per sensor. After the commit, transitions are announced;
 * a status of an unknown sensor (REGISTRATION=manual) is returned to be dead-lettered. A database error
 * throws: the pipeline retries the whole batch, unacked.
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

  const count = (messages: readonly RegistryMessage[], events: readonly SensorEvent[], folded: Folded) => {
    const unknown = new Set<number>();
    folded.outcomes.forEach((outcome, i) => {
      const e = events[i] as SensorEvent;
      const m = messages[e.source] as RegistryMessage;
      if (outcome === "unknown_sensor" && m.kind === "status") unknown.add(e.source);
      o.metrics.events.inc({ kind: m.kind, outcome });
    });
    return unknown;
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
    async handle(messages: readonly RegistryMessage[]): Promise<Refusal[]> {
      const end = o.metrics.batchSeconds.startTimer();
      const events = messages.flatMap((m, i) => eventsOf(m, i));
      const folded = await o.store.applyBatch(events, ackedAfterLastStatus(messages.map(ackItem)));
      await announceAll(folded);
      const unknown = count(messages, events, folded);
      end();
      o.metrics.batchMessages.observe(messages.length);
      const newest = messages.reduce((max, m) => Math.max(max, microsOf(m.message.received_at)), 0);
      lagUs = Math.max(0, o.clock() * 1000 - newest);
      o.metrics.lag.set(lagUs / 1e6);
      applied++;
      return [...unknown].map((index) => {
        const m = messages[index];
        const id = m?.kind === "status" ? m.message.sensor_id : "?";
        return { index, error: `sensor ${id} is not registered (REGISTRATION=manual)` };
      });
    },
  };
}
