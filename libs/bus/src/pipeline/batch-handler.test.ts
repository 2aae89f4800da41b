import { silentLogger } from "@sensorstream/runtime";
import { afterEach, describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS } from "../dead-letter.js";
import { DEAD_LETTER_QUEUE } from "../topology.js";
import { PermanentError } from "./errors.js";
import { startConsumer } from "./start-consumer.js";
import {
  type Body,
  batchConsumer,
  createRegistry,
  memoryBus,
  outcome,
  parseBody,
  QUEUE,
  send,
  until,
} from "./test-support.js";
import type { BatchHandler } from "./types.js";

let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

async function consume(handleBatch: BatchHandler<Body>, maxSize = 4) {
  const c = await batchConsumer(handleBatch, { maxSize });
  stops.push(c.stop);
  return c;
}

const ns = (batch: readonly { body: Body }[]) => batch.map((m) => m.body.n);

describe("the pipeline with a batch handler", () => {
  it("hands batches in delivery order, cut at maxSize, and acks after the handler resolved", async () => {
    const batches: number[][] = [];
    const { bus, registry } = await consume(async (batch) => {
      batches.push(ns(batch));
      return undefined;
    });
    for (let n = 0; n < 10; n++) await send(bus, "a", n);
    await until(async () => (await outcome(registry, "ok")) === 10, "ten handled");
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.every((b) => b.length <= 4)).toBe(true);
    expect(bus.unackedCount(QUEUE.name) + bus.queueDepth(QUEUE.name)).toBe(0);
  });

  it("bisects a permanent failure down to the one message and dead-letters only it", async () => {
    const stored: number[] = [];
    const { bus, registry } = await consume(async (batch) => {
      if (ns(batch).includes(5)) throw new PermanentError("permanent_store_error", "check constraint no_5");
      stored.push(...ns(batch));
      return undefined;
    }, 8);
    for (let n = 0; n < 8; n++) await send(bus, "a", n);
    await until(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 1 && stored.length === 7, "bisected");
    const [letter] = bus.take(DEAD_LETTER_QUEUE);
    expect(letter?.headers[DEAD_LETTER_HEADERS.reason]).toBe("permanent_store_error");
    expect(JSON.parse(letter?.content.toString() ?? "").n).toBe(5);
    expect(stored.sort()).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(await outcome(registry, "permanent")).toBe(1);
    await until(() => bus.unackedCount(QUEUE.name) === 0, "all settled");
  });

  it("dead-letters the messages a handler refuses and acks the rest of the batch", async () => {
    const { bus, registry } = await consume(async (batch) =>
      batch
        .filter((m) => m.body.n % 2 === 1)
        .map((m) => ({ message: m, reject: "unknown_sensor" as const, error: `odd ${m.body.n}` })),
    );
    for (let n = 0; n < 4; n++) await send(bus, "a", n);
    await until(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 2, "two refused");
    const errors = bus.take(DEAD_LETTER_QUEUE).map((l) => l.headers[DEAD_LETTER_HEADERS.error]);
    expect(errors).toEqual(["odd 1", "odd 3"]);
    await until(async () => (await outcome(registry, "ok")) === 2, "two ok");
    expect(await outcome(registry, "permanent")).toBe(2);
  });

  it("retries the whole batch on a transient failure, in order, without dead-lettering", async () => {
    let down = 3;
    const batches: number[][] = [];
    const { bus, registry } = await consume(async (batch) => {
      if (down > 0) {
        down--;
        throw new Error("connection refused");
      }
      batches.push(ns(batch));
      return undefined;
    });
    for (let n = 0; n < 3; n++) await send(bus, "a", n);
    await until(async () => (await outcome(registry, "ok")) === 3, "three handled");
    expect(batches.flat()).toEqual([0, 1, 2]);
    expect(await outcome(registry, "transient")).toBeGreaterThanOrEqual(3);
    expect(bus.queueDepth(DEAD_LETTER_QUEUE)).toBe(0);
  });

  it("drains on stop: what was taken is handled and acked before the subscription closes", async () => {
    const stored: number[] = [];
    const bus = await memoryBus();
    const consumer = await startConsumer<Body>({
      bus,
      name: "test",
      queue: QUEUE,
      parse: parseBody,
      prefetch: 100,
      logger: silentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
      handleBatch: async (batch) => {
        stored.push(...ns(batch));
        return undefined;
      },
      // Never flushed by time or size: only stop() writes it.
      batch: { maxSize: 1_000, flushMs: 60_000 },
    });
    for (let n = 0; n < 5; n++) await send(bus, "a", n);
    await until(() => bus.unackedCount(QUEUE.name) === 5, "five taken");
    expect(stored).toEqual([]);
    await consumer.stop();
    expect(stored).toEqual([0, 1, 2, 3, 4]);
    expect(bus.queueDepth(QUEUE.name) + bus.unackedCount(QUEUE.name)).toBe(0);
    await bus.close();
  });
});
