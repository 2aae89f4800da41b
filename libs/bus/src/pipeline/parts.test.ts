import { afterEach, describe, expect, it } from "vitest";
import { DEAD_LETTER_HEADERS } from "../dead-letter.js";
import type { MemoryBus } from "../memory/memory-bus.js";
import { DEAD_LETTER_QUEUE, type QueueSpec } from "../topology.js";
import { PermanentError } from "./errors.js";
import { type Body, batchConsumer, outcome, parseBody, until } from "./test-support.js";
import type { BatchHandler, Parse } from "./types.js";

/** A queue that takes single messages (sensor_<id>.data) and deliveries of several (many.<n>: a JSON array). */
const QUEUE: QueueSpec = { name: "parts", bindings: ["*.data", "many.*"], maxLength: 1_000, deliveryLimit: 20 };

/** Single messages as test-support's contract; a many.* delivery as one part per array element. */
const parse: Parse<Body> = (d) => {
  if (!d.routingKey.startsWith("many.")) return parseBody(d);
  const elements = JSON.parse(d.content.toString()) as unknown[];
  return {
    ok: true,
    parts: elements.map((e) => {
      const b = e as Partial<Body>;
      const content = () => Buffer.from(JSON.stringify(e));
      return {
        routingKey: `sensor_${b.sensor_id ?? "unknown"}.data`,
        messageId: b.msg_id,
        content,
        parsed: parseBody({ ...d, content: content() }),
      };
    }),
  };
};

let stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops) await s();
  stops = [];
});

async function consume(handleBatch: BatchHandler<Body>, maxSize = 4) {
  const c = await batchConsumer(handleBatch, { maxSize, queue: QUEUE, parse });
  stops.push(c.stop);
  return c;
}

const many = (bus: MemoryBus, elements: unknown[]) =>
  bus.publish("many.x", Buffer.from(JSON.stringify(elements)), { messageId: "many-1" });
const body = (sensor: string, n: number) => ({ sensor_id: sensor, msg_id: `${sensor}-${n}`, n });
describe("a delivery that carries several messages", () => {
  it("settles each part on its own: a bad one is dead-lettered alone, under its own key, the rest handled", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    const handled: string[] = [];
    const { bus, registry } = await consume(async (batch) => {
      await held;
      handled.push(...batch.map((m) => `${m.routingKey}:${m.msgId}:${m.body.n}`));
      return undefined;
    });
    await many(bus, [body("a", 1), { sensor_id: "b", msg_id: "b-2", n: "two" }, body("c", 3), body("a", 4)]);
    await until(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 1, "the bad part dead-lettered");
    // The delivery stays unacked while its good parts are being handled.
    expect(bus.unackedCount(QUEUE.name)).toBe(1);
    const [letter] = bus.take(DEAD_LETTER_QUEUE);
    expect(letter?.headers[DEAD_LETTER_HEADERS.reason]).toBe("invalid_payload");
    expect(letter?.headers[DEAD_LETTER_HEADERS.routingKey]).toBe("sensor_b.data");
    expect(JSON.parse(letter?.content.toString() ?? "")).toStrictEqual({ sensor_id: "b", msg_id: "b-2", n: "two" });
    release();
    await until(() => bus.unackedCount(QUEUE.name) === 0, "the delivery acked");
    expect(handled).toStrictEqual(["sensor_a.data:a-1:1", "sensor_c.data:c-3:3", "sensor_a.data:a-4:4"]);
    expect(await outcome(registry, "ok")).toBe(3);
    expect(await outcome(registry, "invalid")).toBe(1);
    expect(bus.queueDepth(QUEUE.name)).toBe(0);
  });

  it("bisects a permanent failure down to one part, across deliveries, and stores every other part", async () => {
    const stored: number[] = [];
    const { bus } = await consume(async (batch) => {
      if (batch.some((m) => m.body.n === 5)) throw new PermanentError("permanent_store_error", "no 5");
      stored.push(...batch.map((m) => m.body.n));
      return undefined;
    }, 16);
    await many(bus, [body("a", 1), body("a", 2), body("b", 3)]);
    await many(bus, [body("a", 4), body("b", 5), body("a", 6)]);
    await until(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 1 && stored.length === 5, "bisected");
    const [letter] = bus.take(DEAD_LETTER_QUEUE);
    expect(letter?.headers[DEAD_LETTER_HEADERS.reason]).toBe("permanent_store_error");
    expect(letter?.headers[DEAD_LETTER_HEADERS.routingKey]).toBe("sensor_b.data");
    expect(JSON.parse(letter?.content.toString() ?? "").n).toBe(5);
    expect(stored.sort()).toStrictEqual([1, 2, 3, 4, 6]);
    await until(() => bus.unackedCount(QUEUE.name) === 0, "both deliveries acked");
  });

  it("dead-letters whole a delivery with no parts, and still takes single messages beside it", async () => {
    const stored: number[] = [];
    const { bus } = await consume(async (batch) => {
      stored.push(...batch.map((m) => m.body.n));
      return undefined;
    });
    await many(bus, []);
    await bus.publish("sensor_a.data", Buffer.from(JSON.stringify(body("a", 7))), { messageId: "a-7" });
    await until(() => bus.queueDepth(DEAD_LETTER_QUEUE) === 1 && stored.length === 1, "settled");
    const [letter] = bus.take(DEAD_LETTER_QUEUE);
    expect(letter?.headers[DEAD_LETTER_HEADERS.routingKey]).toBe("many.x");
    expect(String(letter?.headers[DEAD_LETTER_HEADERS.error])).toMatch(/no messages/);
    expect(stored).toStrictEqual([7]);
    await until(() => bus.unackedCount(QUEUE.name) === 0, "all acked");
  });
});
