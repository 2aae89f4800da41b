import { backoff, sleep } from "@sensorstream/runtime";
import type { Delivery } from "../consumer.js";
import { PermanentError } from "./errors.js";
import type { Runner, RunnerContext } from "./runner.js";
import type { Handler, Message } from "./types.js";

/**
 * Runs a single-message handler in `concurrency` lanes; a message's order key picks its lane, so the messages of
 * one key are handled strictly in delivery order while different keys proceed side by side.
 */
export function singleRunner<T>(
  c: RunnerContext,
  handle: Handler<T>,
  concurrency: number,
  orderKey: (m: Message<T>) => string,
): Runner<T> {
  const lanes: Promise<void>[] = Array.from({ length: Math.max(1, concurrency) }, () => Promise.resolve());
  const run = async (d: Delivery, m: Message<T>) => {
    const wait = backoff(c.retry.minMs, c.retry.maxMs);
    for (let attempt = 1; d.live() && !c.stopping.aborted; attempt++) {
      const end = c.metrics.seconds.startTimer(c.label);
      try {
        const r = await handle(m);
        end();
        c.observe.onHandled?.();
        if (r === undefined) {
          d.ack();
          c.count("ok", 1);
        } else await c.refuse(d, m, r.reject, r.error);
        return;
      } catch (err) {
        end();
        if (err instanceof PermanentError) return c.refuse(d, m, err.reason, err.message);
        if (c.isPermanent(err)) return c.refuse(d, m, "permanent_store_error", (err as Error).message);
        c.count("transient", 1);
        c.observe.onTransient?.(err, attempt);
        m.logger.warn({ err, attempt }, "handling failed; retrying (the message stays unacked)");
        await sleep(wait.next(), c.stopping);
      }
    }
  };
  return {
    add(d, m) {
      const i = lanes.length === 1 ? 0 : hash(orderKey(m)) % lanes.length;
      lanes[i] = (lanes[i] as Promise<void>)
        .then(() => run(d, m))
        .catch((err) => m.logger.warn({ err }, "message not settled; it will be redelivered"));
    },
    async drain() {
      await Promise.all(lanes);
    },
    stop() {},
  };
}

/** FNV-1a: a stable spread of order keys over lanes. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
