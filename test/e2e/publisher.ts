import { formatMicros } from "@sensorstream/contracts";
import type { MqttClient } from "mqtt";

export type LoopResult = { sent: number; acked: Set<number>; failed: number };

/**
 * Publishes reading i (value i, a unique timestamp) every intervalMs with QoS 1 until stop() is
 * called, and remembers which ones got a PUBACK: the platform owes us exactly those.
 */
export function publishLoop(client: MqttClient, sensorId: string, intervalMs: number, baseUs = Date.now() * 1000) {
  const acked = new Set<number>();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let failed = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const i = sent++;
    const body = JSON.stringify({ ts: formatMicros(baseUs + i * 1000), values: { v: i } });
    const p = client
      .publishAsync(`sensors/${sensorId}/data`, body, { qos: 1 })
      .then(() => {
        acked.add(i);
      })
      .catch(() => {
        failed++;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    timer = setTimeout(tick, intervalMs);
  };
  let timer = setTimeout(tick, 0);
  return {
    /** Stops publishing, then waits (bounded) for outstanding PUBACKs. */
    async stop(graceMs = 15_000): Promise<LoopResult> {
      stopped = true;
      clearTimeout(timer);
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, graceMs))]);
      return { sent, acked: new Set(acked), failed };
    },
    get acked() {
      return acked.size;
    },
  };
}
