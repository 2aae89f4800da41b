import { SCHEMA_VERSION_HEADER } from "@sensorstream/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Delivery } from "./consumer.js";
import { DEAD_LETTER_HEADERS } from "./dead-letter.js";
import type { LogEntry, LogSpec } from "./log.js";
import type { Bus, Subscription } from "./port.js";
import { PublishError } from "./publisher.js";
import { DEAD_LETTER_QUEUE, type QueueSpec } from "./topology.js";

/** A message read straight from a queue (taken and acked), beside the bus under test. */
type QueuedMessage = { content: Buffer; routingKey: string; headers: Record<string, unknown> };

/** What the suite needs from an implementation's test environment. */
export type ConformanceHarness = {
  /** A new, started bus on this test file's isolated broker (several may be open at once). */
  open(): Promise<Bus>;
  /** Drops every connection of every bus opened, as a broker restart or network loss would. */
  dropConnections(): Promise<void>;
  /** Takes (and acks) what is ready in a queue, up to max. */
  read(queue: string, max?: number): Promise<QueuedMessage[]>;
  close(): Promise<void>;
};

/** A queue of its own for each test: its own binding key, so tests do not see each other's messages. */
const queueFor = (test: string, o: Partial<QueueSpec> = {}): QueueSpec => ({
  name: `conformance_${test}`,
  bindings: [`${test}.#`],
  maxLength: 1_000,
  deliveryLimit: 20,
  ...o,
});

/** A log of its own for each test, bound like its queue. */
const logFor = (test: string): LogSpec => ({
  name: `conformance_log_${test}`,
  bindings: [`log${test}.#`],
  maxAgeSeconds: 3600,
  maxBytes: 10_000_000,
});

async function until<T>(fn: () => T | false | undefined | Promise<T | false | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Consumes a queue and keeps every delivery, unsettled, for the test to settle. */
async function collect(bus: Bus, queue: string, prefetch = 10): Promise<{ got: Delivery[]; sub: Subscription }> {
  const got: Delivery[] = [];
  const sub = await bus.consume({ queue, prefetch, onMessage: (d) => got.push(d) });
  await until(() => sub.ready, `a subscription to ${queue}`);
  return { got, sub };
}

const publishError = async (p: Promise<unknown>): Promise<PublishError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof PublishError) return err;
    throw err;
  }
  throw new Error("the publish succeeded");
};

/**
 * The contract of the Bus port, run against every implementation (RabbitMQ in the integration project, the
 * in-memory bus in the unit project): what the services rely on must hold for both.
 */
export function busConformance(name: string, makeHarness: () => Promise<ConformanceHarness>): void {
  describe(`Bus conformance: ${name}`, () => {
    let h: ConformanceHarness;
    let bus: Bus;
    beforeAll(async () => {
      h = await makeHarness();
      bus = await h.open();
    });
    afterAll(async () => {
      await h?.close();
    });
    const body = (s: string) => Buffer.from(s);

    it("confirms a publish once the message is in its queue, with the schema version header", async () => {
      const q = queueFor("confirm");
      await bus.declare([q]);
      await bus.publish("confirm.a", body("one"), { messageId: "m1", headers: { "x-extra": "e" } });
      const [m] = await h.read(q.name);
      expect(m?.content.toString()).toBe("one");
      expect(m?.routingKey).toBe("confirm.a");
      expect(m?.headers[SCHEMA_VERSION_HEADER]).toBe(1);
      expect(m?.headers["x-extra"]).toBe("e");
    });

    it("fails a mandatory publish no queue takes as unroutable; a non-mandatory one is fine", async () => {
      await bus.declare([queueFor("mandatory")]);
      const err = await publishError(bus.publish("nobody.listens", body("x"), { messageId: "m2" }));
      expect(err.code).toBe("unroutable");
      await bus.publish("nobody.listens", body("x"), { messageId: "m3", mandatory: false });
    });

    it("keeps a delivery until it is acked: one not acked when its consumer closes comes again, redelivered", async () => {
      const q = queueFor("ack");
      await bus.declare([q]);
      const first = await collect(bus, q.name);
      await bus.publish("ack.a", body("done"), { messageId: "a1" });
      await bus.publish("ack.a", body("kept"), { messageId: "a2" });
      await until(() => first.got.length === 2, "two deliveries");
      expect(first.got.map((d) => d.redelivered)).toEqual([false, false]);
      // In order: RabbitBus acks contiguous runs (AckWindow), so an ack after an unsettled delivery may still
      // come again; consumers are idempotent either way.
      first.got[0]?.ack();
      await first.sub.close();
      const second = await collect(bus, q.name);
      const [again] = await until(() => (second.got.length === 1 ? second.got : false), "the redelivery");
      expect(again?.content.toString()).toBe("kept");
      expect(again?.redelivered).toBe(true);
      again?.ack();
      await second.sub.close();
      expect(await h.read(q.name)).toEqual([]);
    });

    it("redelivers what was unacked when the connection is lost, to the same subscription once reconnected", async () => {
      const q = queueFor("reconnect");
      await bus.declare([q]);
      let lost = 0;
      const got: Delivery[] = [];
      const sub = await bus.consume({
        queue: q.name,
        prefetch: 10,
        onMessage: (d) => got.push(d),
        onChannelLost: () => lost++,
      });
      await until(() => sub.ready, "the subscription");
      await bus.publish("reconnect.a", body("r1"), { messageId: "r1" });
      const first = await until(() => got[0], "the first delivery");
      await h.dropConnections();
      await until(() => lost > 0, "the channel loss");
      expect(first.live()).toBe(false);
      first.ack(); // too late: a no-op, the message comes again
      const again = await until(() => got[1], "the redelivery after reconnect");
      expect(again.content.toString()).toBe("r1");
      expect(again.redelivered).toBe(true);
      again.ack();
      // Publishing works again after the reconnect.
      await until(() => bus.connected, "the reconnect");
      await bus.publish("reconnect.a", body("r2"), { messageId: "r2" });
      const next = await until(() => got[2], "a delivery after reconnect");
      expect(next.content.toString()).toBe("r2");
      next.ack();
      await sub.close();
      expect(await h.read(q.name)).toEqual([]);
    });

    it("dead-letters with the reason in headers", async () => {
      await bus.declare([]);
      await bus.deadLetter({
        reason: "invalid_payload",
        error: "n: required",
        source: "conformance",
        body: body("{}"),
        messageId: "d1",
        routingKey: "sensor_s1.data",
        sensorId: "s1",
        schemaVersion: 1,
      });
      const letters = await h.read(DEAD_LETTER_QUEUE);
      const letter = letters.find((l) => l.headers[DEAD_LETTER_HEADERS.source] === "conformance");
      expect(letter?.routingKey).toBe("sensor_s1.data");
      expect(letter?.content.toString()).toBe("{}");
      expect(letter?.headers).toMatchObject({
        [DEAD_LETTER_HEADERS.reason]: "invalid_payload",
        [DEAD_LETTER_HEADERS.error]: "n: required",
        [DEAD_LETTER_HEADERS.sensorId]: "s1",
        [DEAD_LETTER_HEADERS.routingKey]: "sensor_s1.data",
        [SCHEMA_VERSION_HEADER]: 1,
      });
    });

    it("sends a rejected delivery (nack without requeue) to the dead-letter exchange, headers kept", async () => {
      const q = queueFor("rejected");
      await bus.declare([q]);
      const c = await collect(bus, q.name);
      await bus.publish("rejected.a", body("bad"), { messageId: "x1", headers: { "x-extra": "e" } });
      const d = await until(() => c.got[0], "the delivery");
      d.nack(false);
      const letter = await until(
        async () => (await h.read(DEAD_LETTER_QUEUE)).find((l) => l.routingKey === "rejected.a"),
        "the dead letter",
      );
      expect(letter.content.toString()).toBe("bad");
      expect(letter.headers["x-first-death-reason"]).toBe("rejected");
      expect(letter.headers["x-first-death-queue"]).toBe(q.name);
      expect(letter.headers["x-extra"]).toBe("e");
      expect(letter.headers[SCHEMA_VERSION_HEADER]).toBe(1);
      await c.sub.close();
    });

    it("dead-letters a delivery returned more often than the queue's delivery limit", async () => {
      const q = queueFor("limit", { deliveryLimit: 2 });
      await bus.declare([q]);
      const c = await collect(bus, q.name, 1);
      await bus.publish("limit.a", body("poison"), { messageId: "p1" });
      const letter = await until(async () => {
        for (const d of c.got) d.nack(true);
        return (await h.read(DEAD_LETTER_QUEUE)).find((l) => l.routingKey === "limit.a");
      }, "the dead letter");
      // Handed out once, then returned twice more and then given up: limit + 1 deliveries.
      expect(c.got).toHaveLength(3);
      expect(c.got.map((d) => d.redelivered)).toEqual([false, true, true]);
      expect(letter.headers["x-first-death-reason"]).toBe("delivery_limit");
      expect(letter.content.toString()).toBe("poison");
      await c.sub.close();
      expect(await h.read(q.name)).toEqual([]);
    });

    it("refuses publishes into a full queue (reject-publish) and keeps what it holds", async () => {
      const q = queueFor("bounded", { maxLength: 2 });
      await bus.declare([q]);
      await bus.publish("bounded.a", body("1"), { messageId: "b1" });
      await bus.publish("bounded.a", body("2"), { messageId: "b2" });
      // A quorum queue checks the limit before a message joins, so it may take one more (RabbitMQ 3.x does).
      const accepted = ["1", "2"];
      let refused: PublishError | undefined;
      for (const n of ["3", "4"]) {
        try {
          await bus.publish("bounded.a", body(n), { messageId: `b${n}` });
          accepted.push(n);
        } catch (err) {
          if (!(err instanceof PublishError)) throw err;
          refused = err;
          break;
        }
      }
      expect(refused?.code).toBe("nacked");
      expect((await h.read(q.name)).map((m) => m.content.toString())).toEqual(accepted);
    });

    it("a drop-head queue never refuses a publish: when full its oldest go, and nothing is dead-lettered", async () => {
      const q = queueFor("drophead", { overflow: "drop-head", maxLength: 2 });
      await bus.declare([q]);
      for (const n of ["1", "2", "3", "4"]) await bus.publish("drophead.a", body(n), { messageId: `dh${n}` });
      expect((await h.read(q.name)).map((m) => m.content.toString())).toEqual(["3", "4"]);
      const dead = await h.read(DEAD_LETTER_QUEUE, 10_000);
      expect(dead.filter((m) => m.routingKey.startsWith("drophead."))).toEqual([]);
    });

    it("a transient queue takes its bindings' messages, drops its oldest when full, and goes with its last consumer", async () => {
      const q = queueFor("transient", { transient: true, maxLength: 2 });
      await bus.declare([q]);
      for (const n of ["1", "2", "3"]) await bus.publish("transient.a", body(n), { messageId: `tr${n}` });
      const c = await collect(bus, q.name);
      await until(() => c.got.length === 2, "the two newest");
      expect(c.got.map((d) => d.content.toString())).toEqual(["2", "3"]);
      for (const d of c.got) d.ack();
      await c.sub.close();
      const err = await publishError(bus.publish("transient.a", body("4"), { messageId: "tr4" }));
      expect(err.code).toBe("unroutable");
    });

    it("a transient queue is declared again after a lost connection, and its consumer is told (onSubscribed)", async () => {
      const q = queueFor("replica", { transient: true });
      await bus.declare([q]);
      let subscribed = 0;
      const got: Delivery[] = [];
      const sub = await bus.consume({
        queue: q.name,
        prefetch: 10,
        onMessage: (d) => got.push(d),
        onSubscribed: () => subscribed++,
      });
      await until(() => subscribed === 1, "the first subscription");
      await bus.publish("replica.a", body("before"), { messageId: "rp1" });
      (await until(() => got[0], "a delivery"))?.ack();
      await h.dropConnections();
      await until(() => subscribed === 2, "the subscription after reconnect");
      await until(() => bus.connected, "the reconnect");
      await bus.publish("replica.a", body("after"), { messageId: "rp2" });
      const after = await until(() => got.find((d) => d.content.toString() === "after"), "a delivery after reconnect");
      after.ack();
      await sub.close();
    });

    it("routes by topic pattern: * is one word, # any number", async () => {
      const q = queueFor("topic", { bindings: ["topic.*.data", "topic.all.#"] });
      await bus.declare([q]);
      await bus.publish("topic.s1.data", body("a"), { messageId: "t1" });
      await bus.publish("topic.all", body("b"), { messageId: "t2" });
      await bus.publish("topic.all.x.y", body("c"), { messageId: "t3" });
      const unroutable = await publishError(bus.publish("topic.s1.x.data", body("d"), { messageId: "t4" }));
      expect(unroutable.code).toBe("unroutable");
      expect((await h.read(q.name)).map((m) => m.content.toString())).toEqual(["a", "b", "c"]);
    });

    it("declare removes a queue's retired bindings: their messages no longer reach it, and declaring again is fine", async () => {
      const q = queueFor("retired", { bindings: ["retired.a", "retired.b"] });
      await bus.declare([q]);
      await bus.publish("retired.a", body("a1"), { messageId: "rb1" });
      await bus.publish("retired.b", body("b1"), { messageId: "rb2" });
      expect((await h.read(q.name)).map((m) => m.content.toString())).toEqual(["a1", "b1"]);
      const upgraded = { ...q, bindings: ["retired.b"], retiredBindings: ["retired.a"] };
      await bus.declare([upgraded]);
      const unroutable = await publishError(bus.publish("retired.a", body("a2"), { messageId: "rb3" }));
      expect(unroutable.code).toBe("unroutable");
      await bus.publish("retired.b", body("b2"), { messageId: "rb4" });
      // The retired binding is gone already: declaring again is a no-op.
      await bus.declare([upgraded]);
      await bus.publish("retired.b", body("b3"), { messageId: "rb5" });
      expect((await h.read(q.name)).map((m) => m.content.toString())).toEqual(["b2", "b3"]);
    });

    it("appends what is published to a log's bindings, with offsets every reader shares, from any offset", async () => {
      const log = logFor("offsets");
      await bus.declareLog(log);
      for (const n of ["a", "b", "c", "d"]) await bus.publish(`logoffsets.${n}`, body(n), { messageId: n });
      const fromStart: LogEntry[] = [];
      const r1 = await bus.readLog({ log: log.name, from: 0, onEntry: (e) => fromStart.push(e) });
      await until(() => fromStart.length === 4, "four entries");
      expect(fromStart.map((e) => [e.offset, e.content.toString(), e.routingKey])).toEqual([
        [0, "a", "logoffsets.a"],
        [1, "b", "logoffsets.b"],
        [2, "c", "logoffsets.c"],
        [3, "d", "logoffsets.d"],
      ]);
      expect(fromStart[0]?.messageId).toBe("a");
      expect(fromStart[0]?.headers[SCHEMA_VERSION_HEADER]).toBe(1);
      const fromTwo: LogEntry[] = [];
      const r2 = await bus.readLog({ log: log.name, from: 2, onEntry: (e) => fromTwo.push(e) });
      await until(() => fromTwo.length === 2, "the entries from offset 2");
      expect(fromTwo.map((e) => e.offset)).toEqual([2, 3]);
      // Reading does not consume: both readers see what comes next.
      await bus.publish("logoffsets.e", body("e"), { messageId: "e" });
      await until(() => fromStart.length === 5 && fromTwo.length === 3, "the next entry, twice");
      expect(fromTwo[2]?.offset).toBe(4);
      await r1.close();
      await r2.close();
    });

    it("reads only new entries from next, and a mandatory publish into a log alone is routed", async () => {
      const log = logFor("next");
      await bus.declareLog(log);
      await bus.publish("lognext.old", body("old"), { messageId: "o" });
      const got: LogEntry[] = [];
      const r = await bus.readLog({ log: log.name, from: "next", onEntry: (e) => got.push(e) });
      await until(() => r.ready, "the reader");
      await bus.publish("lognext.new", body("new"), { messageId: "n" });
      await until(() => got.length === 1, "the new entry");
      expect(got.map((e) => [e.offset, e.content.toString()])).toEqual([[1, "new"]]);
      await r.close();
      await bus.publish("lognext.after", body("x"), { messageId: "x" });
      await new Promise((res) => setTimeout(res, 200));
      expect(got).toHaveLength(1);
    });

    it("carries a reader on after a lost connection without a gap or a repeat", async () => {
      const log = logFor("resume");
      await bus.declareLog(log);
      const got: LogEntry[] = [];
      const r = await bus.readLog({ log: log.name, from: 0, onEntry: (e) => got.push(e) });
      await bus.publish("logresume.1", body("1"), { messageId: "1" });
      await bus.publish("logresume.2", body("2"), { messageId: "2" });
      await until(() => got.length === 2, "two entries");
      await h.dropConnections();
      await until(() => bus.connected, "the reconnect");
      await bus.publish("logresume.3", body("3"), { messageId: "3" });
      await until(() => got.length >= 3 && r.ready, "the entry after the reconnect");
      await new Promise((res) => setTimeout(res, 200));
      expect(got.map((e) => e.offset)).toEqual([0, 1, 2]);
      await r.close();
    });
  });
}
