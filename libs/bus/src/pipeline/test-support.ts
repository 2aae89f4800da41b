import { SCHEMA_VERSION_HEADER } from "@sensorstream/contracts";
import { createRegistry, type Registry, silentLogger } from "@sensorstream/runtime";
import type { Delivery } from "../consumer.js";
import { MemoryBus } from "../memory/memory-bus.js";
import type { QueueSpec } from "../topology.js";
import type { Consumer } from "./options.js";
import { startConsumer } from "./start-consumer.js";
import type { BatchHandler, Parse, ParsedOne } from "./types.js";

/** Helpers for the pipeline's unit tests (not exported from the lib). */
export const QUEUE: QueueSpec = { name: "work", bindings: ["*.data"], maxLength: 1_000, deliveryLimit: 20 };

export type Body = { sensor_id: string; msg_id: string; n: number };

/** A minimal contract: JSON with a sensor_id that matches the routing key and a numeric n. */
export const parseBody = (d: Delivery): ParsedOne<Body> => {
  let json: unknown;
  try {
    json = JSON.parse(d.content.toString("utf8"));
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const b = json as Partial<Body>;
  if (typeof b.n !== "number" || typeof b.sensor_id !== "string") return { ok: false, error: "n: required" };
  return { ok: true, message: b as Body };
};

export async function memoryBus(): Promise<MemoryBus> {
  const bus = new MemoryBus({ waitForConnectionMs: 1_000 });
  await bus.declare([QUEUE]);
  return bus;
}

export async function send(
  bus: MemoryBus,
  sensor: string,
  n: number,
  o: { version?: number | null; raw?: string } = {},
): Promise<void> {
  const body = o.raw ?? JSON.stringify({ sensor_id: sensor, msg_id: `${sensor}-${n}`, n });
  await bus.publish(`sensor_${sensor}.data`, Buffer.from(body), {
    messageId: `${sensor}-${n}`,
    ...(o.version === undefined ? {} : { schemaVersion: o.version }),
  });
}

export const fastRetry = { minMs: 1, maxMs: 2 };

export { createRegistry, type Registry, SCHEMA_VERSION_HEADER };

/** The value of a counter sample with these labels (0 when absent). */
export async function sample(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return found?.value ?? 0;
}

/** Waits until fn returns true (a few thousand event-loop turns at most). */
export async function until(fn: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 5_000; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A batch consumer named "test" on a fresh memory bus (batches cut at maxSize or after 5 ms); stop() ends both. */
export async function batchConsumer(
  handleBatch: BatchHandler<Body>,
  o: { maxSize?: number; queue?: QueueSpec; parse?: Parse<Body> } = {},
): Promise<{ bus: MemoryBus; registry: Registry; consumer: Consumer; stop: () => Promise<void> }> {
  const queue = o.queue ?? QUEUE;
  const bus = await memoryBus();
  await bus.declare([queue]);
  const registry = createRegistry({ defaultMetrics: false });
  const consumer = await startConsumer<Body>({
    bus,
    name: "test",
    queue,
    parse: o.parse ?? parseBody,
    prefetch: 100,
    logger: silentLogger(),
    registry,
    retry: fastRetry,
    handleBatch,
    batch: { maxSize: o.maxSize ?? 4, flushMs: 5 },
  });
  const stop = async () => {
    await consumer.stop();
    await bus.close();
  };
  return { bus, registry, consumer, stop };
}

/** The "test" consumer's count of messages with this outcome. */
export const outcome = (registry: Registry, o: string) =>
  sample(registry, "sensorstream_consumer_messages_total", { consumer: "test", outcome: o });
