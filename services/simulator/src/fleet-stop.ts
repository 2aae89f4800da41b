import { sleep, within } from "./async-util.js";
import type { Counters } from "./counters.js";
import { SHUTDOWN_STATUS } from "./payload.js";
import type { VirtualSensor } from "./virtual-sensor.js";

const STATUS_TIMEOUT_MS = 2_000;
const CLOSE_TIMEOUT_MS = 3_000;

/** Waits until no data message is in flight, or until drainTimeoutMs has passed. */
export async function drainInflight(c: Counters, drainTimeoutMs: number): Promise<void> {
  const deadline = Date.now() + drainTimeoutMs;
  while (c.inflight > 0 && Date.now() < deadline) await sleep(10);
}

/**
 * Ends one sensor's session: with nothing in flight it announces its shutdown (retained) and disconnects cleanly,
 * otherwise it drops the socket. Bounded in time either way.
 */
export async function closeSensor(c: Counters, s: VirtualSensor): Promise<void> {
  const link = s.link;
  if (link === undefined) return;
  let clean = s.inflight === 0;
  if (clean && s.connected) {
    const published = new Promise<boolean>((resolve) => {
      link.publish(s.statusTopic, SHUTDOWN_STATUS, true, (err) => resolve(err === undefined));
    });
    clean = (await within(published, STATUS_TIMEOUT_MS)) === true;
  }
  // A clean close sends DISCONNECT, so the broker discards the will; a forced one drops the socket.
  await within(
    link.close(!clean).catch((err: Error) => {
      c.lastError = `${s.id}: close: ${err.message}`;
    }),
    CLOSE_TIMEOUT_MS,
  );
}
