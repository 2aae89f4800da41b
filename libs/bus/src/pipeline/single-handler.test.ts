import { Writable } from "node:stream";
import { silentLogger } from "@sensorstream/runtime";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS } from "../dead-letter.js";
import type { MemoryBus } from "../memory/memory-bus.js";
import { DEAD_LETTER_QUEUE } from "../topology.js";
import { PermanentError } from "./errors.js";
import type { Consumer } from "./options.js";
import { startConsumer } from "./start-consumer.js";
import {
  type Body,
  createRegistry,
  fastRetry,
  memoryBus,
  parseBody,
  QUEUE,
  type Registry,
  SCHEMA_VERSION_HEADER,
  sample,
  send,
  until,
} from "./test-support.js";
import { type Handler, type Message, reject } from "./types.js";

let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

async function consume(
  handle: Handler<Body>,
  o: { concurrency?: number; logger?: ReturnType<typeof silentLogger> } = {},
): Promise<{ bus: MemoryBus; registry: Registry; consumer: Consumer }> {
  const bus = await memoryBus();
  const registry = createRegistry({ defaultMetrics: false });
  const consumer = await startConsumer<Body>({
    bus,
    name: "test",
    queue: QUEUE,
    parse: parseBody,
    prefetch: 50,
    logger: o.logger ?? silentLogger(),
    registry,
    retry: fastRetry,
    handle,
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
  });
  stops.push(async () => {
    await consumer.stop();
    await bus.close();
  });
  return { bus, registry, consumer };
}

const outcome = (registry: Registry, o: string) =>
  sample(registry, "sensorstream_consumer_messages_total", { consumer: "test", outcome: o });

describe("the pipeline with a single-message handler", () => {
  it("acks a message only after its handler resolved", async () => {
    let release: () => void = () => {};
    const seen: number[] = [];
    const { bus, registry } = await consume(async (m) => {
      seen.push(m.body.n);
      await new Promise<void>((r) => {
        release = r;
      });
      return undefined;
    });
    await send(bus, "a", 1);
    await until(() => seen.length === 1, "the handler");
    expect(bus.unackedCount(QUEUE.name)).toBe(1);
    release();
    await until(() => bus.unackedCount(QUEUE.name) === 0, "the ack");
    expect(bus.queueDepth(QUEUE.name)).toBe(0);
    expect(bus.queueDepth(DEAD_LETTER_QUEUE)).toBe(0);
    expect(await outcome(registry, "ok")).toBe(1);
  });

  it("dead-letters what its contract refuses, with the reason, and never calls the handler", async () => {
    const seen: number[] = [];
    const { bus, registry } = await consume(async (m) => {
      seen.push(m.body.n);
      return undefined;
    });
    await send(bus, "a", 1, { raw: "{not json" });
    await send(bus, "a", 2, { raw: JSON.stringify({ sensor_id: "a" }) });
    await until(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 2, "two dead letters");
    const letters = bus.take(DEAD_LETTER_QUEUE);
    expect(letters.map((l) => l.headers[DEAD_LETTER_HEADERS.reason])).toEqual(["invalid_payload", "invalid_payload"]);
    expect(letters[1]?.headers[DEAD_LETTER_HEADERS.error]).toBe("n: required");
    expect(letters[1]?.headers[DEAD_LETTER_HEADERS.source]).toBe("test");
    expect(letters[1]?.headers[DEAD_LETTER_HEADERS.sensorId]).toBe("a");
    expect(letters[1]?.headers[SCHEMA_VERSION_HEADER]).toBe(1);
    expect(letters[1]?.content.toString()).toBe(JSON.stringify({ sensor_id: "a" }));
    expect(seen).toEqual([]);
    expect(await outcome(registry, "invalid")).toBe(2);
    expect(bus.unackedCount(QUEUE.name)).toBe(0);
  });

  it("dead-letters an unknown schema version as unsupported_version and handles an unversioned one as 1", async () => {
    const versions: number[] = [];
    const { bus } = await consume(async (m) => {
      versions.push(m.schemaVersion);
      return undefined;
    });
    await send(bus, "a", 1, { version: 2 });
    await send(bus, "a", 2, { version: null });
    await send(bus, "a", 3);
    await until(() => versions.length === 2 && bus.queueDepth(DEAD_LETTER_QUEUE) === 1, "two handled, one refused");
    const [letter] = bus.take(DEAD_LETTER_QUEUE);
    expect(letter?.headers[DEAD_LETTER_HEADERS.reason]).toBe("unsupported_version");
    expect(letter?.headers[DEAD_LETTER_HEADERS.error]).toBe("schema version 2 is not supported (accepted: 1)");
    expect(letter?.headers[SCHEMA_VERSION_HEADER]).toBeUndefined();
    expect(JSON.parse(letter?.content.toString() ?? "").n).toBe(1);
    expect(versions).toEqual([1, 1]);
  });

  it("dead-letters what the handler refuses (returned or thrown), counted as permanent", async () => {
    const { bus, registry } = await consume(async (m) => {
      if (m.body.n === 1) return reject("unknown_sensor", "sensor a is not registered");
      if (m.body.n === 2) throw new PermanentError("permanent_store_error", "violates a constraint");
      return undefined;
    });
    for (const n of [1, 2, 3]) await send(bus, "a", n);
    await until(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 2, "two dead letters");
    const letters = bus.take(DEAD_LETTER_QUEUE);
    expect(letters.map((l) => [l.headers[DEAD_LETTER_HEADERS.reason], l.headers[DEAD_LETTER_HEADERS.error]])).toEqual([
      ["unknown_sensor", "sensor a is not registered"],
      ["permanent_store_error", "violates a constraint"],
    ]);
    await until(async () => (await outcome(registry, "ok")) === 1, "one ok");
    expect(await outcome(registry, "permanent")).toBe(2);
  });

  it("retries a transient failure with backoff and never dead-letters it", async () => {
    let failures = 0;
    const { bus, registry } = await consume(async () => {
      if (failures < 3) {
        failures++;
        throw new Error("database unavailable");
      }
      return undefined;
    });
    await send(bus, "a", 1);
    await until(async () => (await outcome(registry, "ok")) === 1, "the message handled");
    expect(await outcome(registry, "transient")).toBe(3);
    expect(bus.queueDepth(DEAD_LETTER_QUEUE)).toBe(0);
    expect(bus.unackedCount(QUEUE.name)).toBe(0);
  });

  it("keeps each sensor's messages in delivery order while sensors run side by side", async () => {
    const order: string[] = [];
    const { bus } = await consume(
      async (m: Message<Body>) => {
        // Later messages finish sooner: only the lanes keep them in order.
        await new Promise((r) => setTimeout(r, 10 - m.body.n));
        order.push(`${m.sensorId}:${m.body.n}`);
        return undefined;
      },
      { concurrency: 4 },
    );
    for (let n = 0; n < 6; n++) for (const s of ["a", "b", "c"]) await send(bus, s, n);
    await until(() => order.length === 18, "all handled");
    for (const s of ["a", "b", "c"]) {
      expect(order.filter((x) => x.startsWith(`${s}:`))).toEqual([0, 1, 2, 3, 4, 5].map((n) => `${s}:${n}`));
    }
  });

  it("hands the handler a child logger carrying consumer, sensor_id and msg_id", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    });
    const logger = pino({ base: { service: "svc" } }, sink);
    const { bus } = await consume(
      async (m) => {
        m.logger.info("handled");
        return undefined;
      },
      { logger },
    );
    await send(bus, "a", 7);
    await until(() => lines.some((l) => l.msg === "handled"), "the log line");
    expect(lines.find((l) => l.msg === "handled")).toMatchObject({
      service: "svc",
      consumer: "test",
      sensor_id: "a",
      msg_id: "a-7",
    });
  });

  it("handles again, marked redelivered, a message whose channel was lost mid-handling", async () => {
    const seen: Array<[number, boolean]> = [];
    let first = true;
    const { bus } = await consume(async (m) => {
      seen.push([m.body.n, m.redelivered]);
      if (first) {
        first = false;
        await bus.dropConnection();
      }
      return undefined;
    });
    await send(bus, "a", 1);
    await until(() => seen.length === 2 && bus.unackedCount(QUEUE.name) === 0, "the redelivery");
    expect(seen).toEqual([
      [1, false],
      [1, true],
    ]);
    expect(bus.queueDepth(QUEUE.name)).toBe(0);
  });
});
