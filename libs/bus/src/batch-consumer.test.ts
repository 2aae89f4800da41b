import { silentLogger } from "@sensorstream/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { startBatchConsumer, type WriteCounts } from "./batch-consumer.js";
import type { BatchStore } from "./batcher.js";
import { DEAD_LETTER_HEADERS } from "./dead-letter.js";
import {
  type Body,
  createRegistry,
  memoryBus,
  parseBody,
  QUEUE,
  type Registry,
  sample,
  send,
  until,
} from "./pipeline/test-support.js";
import { DEAD_LETTER_QUEUE } from "./topology.js";

class Refused extends Error {}

/** A store that keeps rows, refuses n = 13 (a constraint), and is down for `down` writes. */
class FakeStore implements BatchStore<Body, WriteCounts> {
  rows: number[] = [];
  down = 0;
  async write(messages: readonly Body[]): Promise<WriteCounts> {
    if (this.down > 0) {
      this.down--;
      throw new Error("connection refused");
    }
    if (messages.some((m) => m.n === 13)) throw new Refused("violates check constraint no_13");
    const fresh = messages.filter((m) => !this.rows.includes(m.n));
    this.rows.push(...fresh.map((m) => m.n));
    return { inserted: fresh.length, duplicates: messages.length - fresh.length };
  }
  isPermanent(err: unknown): boolean {
    return err instanceof Refused;
  }
}

let stop: () => Promise<void> = async () => {};
afterEach(() => stop());

async function ingester(store: FakeStore, health: boolean[] = []) {
  const bus = await memoryBus();
  const registry = createRegistry({ defaultMetrics: false });
  const consumer = await startBatchConsumer({
    bus,
    queue: QUEUE,
    name: "measurements",
    logger: silentLogger(),
    registry,
    prefetch: 100,
    maxRows: 10,
    flushMs: 5,
    parse: parseBody,
    size: () => 1,
    store,
    onStoreHealth: (ok) => health.push(ok),
  });
  stop = async () => {
    await consumer.stop();
    await bus.close();
  };
  return { bus, registry };
}

const ingesterCount = (r: Registry, name: string, labels: Record<string, string>) =>
  sample(r, name, { ingester: "measurements", ...labels });

describe("the ingester batch consumer on the pipeline", () => {
  it("stores, dead-letters the one refused message, and keeps the ingester metrics the dashboards read", async () => {
    const store = new FakeStore();
    const { bus, registry } = await ingester(store);
    for (let n = 10; n < 20; n++) await send(bus, "a", n);
    await send(bus, "a", 99, { raw: "{}" });
    await until(() => store.rows.length === 9 && bus.queueDepth(DEAD_LETTER_QUEUE) === 2, "nine rows, two letters");
    const reasons = bus.take(DEAD_LETTER_QUEUE).map((l) => l.headers[DEAD_LETTER_HEADERS.reason]);
    expect(reasons.sort()).toEqual(["invalid_payload", "permanent_store_error"]);
    const m = "sensorstream_ingester_messages_total";
    await until(async () => (await ingesterCount(registry, m, { outcome: "ok" })) === 9, "nine ok");
    expect(await ingesterCount(registry, m, { outcome: "invalid" })).toBe(1);
    expect(await ingesterCount(registry, m, { outcome: "permanent" })).toBe(1);
    expect(await ingesterCount(registry, "sensorstream_ingester_rows_total", { outcome: "inserted" })).toBe(9);
    expect(
      await sample(registry, "sensorstream_consumer_messages_total", { consumer: "measurements", outcome: "ok" }),
    ).toBe(9);
    await until(
      async () => (await ingesterCount(registry, "sensorstream_ingester_pending_messages", {})) === 0,
      "none pending",
    );
  });

  it("retries an outage without dead-lettering, and reports the store's health", async () => {
    const store = new FakeStore();
    store.down = 2;
    const health: boolean[] = [];
    const { bus, registry } = await ingester(store, health);
    await send(bus, "a", 1);
    await until(() => store.rows.length === 1, "the row after the outage");
    expect(await ingesterCount(registry, "sensorstream_ingester_transient_errors_total", {})).toBe(2);
    expect(health).toEqual([false, false, true]);
    expect(bus.queueDepth(DEAD_LETTER_QUEUE)).toBe(0);
  });
});
