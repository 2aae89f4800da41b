import { DEAD_LETTER_HEADERS } from "@sensorstream/bus";
import { formatMicros, SCHEMA_VERSION_HEADER } from "@sensorstream/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { metricValue } from "../fixtures/prometheus.js";
import { waitFor } from "../fixtures/wait.js";
import { countRows, metricsText, publishDirect, type Spine, startSpine } from "./harness.js";

const message = (sensor: string, i: number, value = i) => ({
  key: `sensor_${sensor}.data`,
  body: {
    msg_id: `${sensor}-${i}`,
    sensor_id: sensor,
    received_at: formatMicros(Date.now() * 1000),
    readings: [{ time: formatMicros(Date.UTC(2026, 10, 23) * 1000 + i), values: { x: value } }],
  },
});

/** The messages as the gateways publish them: readings.bridged, `per` data messages to a message. */
const bridged = (messages: ReturnType<typeof message>[], per = 100) =>
  Array.from({ length: Math.ceil(messages.length / per) }, (_, i) => ({
    key: "readings.bridged",
    body: messages.slice(i * per, (i + 1) * per).map((m) => m.body),
  }));

describe("measurement ingester", () => {
  let spine: Spine;
  beforeAll(async () => {
    spine = await startSpine("ingester", { ingesters: 2 });
  });
  afterAll(async () => {
    await spine?.close();
  });

  it("shares the queue between replicas and stores every reading once", async () => {
    const n = 3000;
    await publishDirect(spine.vhost.url, bridged(Array.from({ length: n }, (_, i) => message("replicas", i))));
    let seen = 0;
    await waitFor(
      async () => {
        seen = await countRows(spine.db, "sensor_id = 'replicas'");
        return seen === n;
      },
      {
        timeoutMs: 30_000,
        message: () => `${seen} of ${n} rows`,
      },
    );
    const perReplica = await Promise.all(
      spine.ingesters.map(async (i) =>
        metricValue(await metricsText(i.registry), "sensorstream_ingester_messages_total", { outcome: "ok" }),
      ),
    );
    expect(perReplica.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(n);
    expect(
      perReplica.every((c) => c > 0),
      `both replicas consumed: ${perReplica.join(", ")}`,
    ).toBe(true);
  });

  it("dead-letters a message the database refuses and still lands the rest of its batch", async () => {
    // A constraint that only this test's data can violate: a permanent (SQLSTATE 23514) error.
    await spine.db.query("ALTER TABLE measurements ADD CONSTRAINT no_666 CHECK (value <> -666)");
    const batch = Array.from({ length: 200 }, (_, i) => message("bisect", i, i === 137 ? -666 : i));
    await publishDirect(spine.vhost.url, bridged(batch));
    let seen = 0;
    await waitFor(
      async () => {
        seen = await countRows(spine.db, "sensor_id = 'bisect'");
        return seen === 199;
      },
      {
        timeoutMs: 30_000,
        message: () => `${seen} of 199 rows`,
      },
    );
    const letters = await waitFor(
      async () => {
        const l = await spine.vhost.readQueue("dead_letters", 50);
        return l.length > 0 ? l : false;
      },
      { message: "no dead letter" },
    );
    expect(letters).toHaveLength(1);
    expect(letters[0]?.headers[DEAD_LETTER_HEADERS.reason]).toBe("permanent_store_error");
    expect(String(letters[0]?.headers[DEAD_LETTER_HEADERS.error])).toContain("no_666");
    // The one data message, under its own key, not the readings.bridged message it came in.
    expect(JSON.parse(letters[0]?.content.toString() ?? "{}").msg_id).toBe("bisect-137");
    expect(letters[0]?.headers[DEAD_LETTER_HEADERS.routingKey]).toBe("sensor_bisect.data");
    await spine.db.query("ALTER TABLE measurements DROP CONSTRAINT no_666");
  });

  it("dead-letters what is not a valid measurement message, and stores the good messages beside it", async () => {
    await publishDirect(spine.vhost.url, [
      { key: "readings.bridged", body: "][" },
      { key: "readings.bridged", body: { readings: [] } },
      {
        key: "readings.bridged",
        body: [
          { msg_id: "x", sensor_id: "junk-1", received_at: "yesterday", readings: [] },
          message("junk-3", 1).body,
          { msg_id: "y", sensor_id: "junk 2", readings: "none" },
          message("junk-3", 2).body,
        ],
      },
      // Published straight onto the bus as sensor_<id>.data: no platform queue is bound to it any more.
      message("junk-4", 1),
    ]);
    await waitFor(async () => (await countRows(spine.db, "sensor_id = 'junk-3'")) === 2, { message: "junk-3 rows" });
    const letters = await waitFor(
      async () => {
        const l = await spine.vhost.readQueue("dead_letters", 50);
        return l.length >= 4 ? l : false;
      },
      { message: "expected 4 dead letters" },
    );
    expect(letters.map((l) => l.headers[DEAD_LETTER_HEADERS.reason])).toEqual([
      "invalid_payload",
      "invalid_payload",
      "invalid_payload",
      "invalid_payload",
    ]);
    // Whole: the two bodies that are no array of messages. One by one: the bad elements, under the key they name.
    expect(letters.map((l) => l.headers[DEAD_LETTER_HEADERS.routingKey])).toEqual([
      "readings.bridged",
      "readings.bridged",
      "sensor_junk-1.data",
      "readings.bridged",
    ]);
    expect(JSON.parse(letters[2]?.content.toString() ?? "{}")).toMatchObject({ msg_id: "x", received_at: "yesterday" });
    expect(JSON.parse(letters[3]?.content.toString() ?? "{}")).toMatchObject({ msg_id: "y", sensor_id: "junk 2" });
    expect(await countRows(spine.db, "sensor_id IN ('junk-1', 'junk 2', 'junk-4')")).toBe(0);
  });

  it("dead-letters a message of a schema version it does not know; an unversioned one is version 1", async () => {
    await publishDirect(spine.vhost.url, [
      ...bridged([message("v-future", 1), message("v-future", 2)]).map((m) => ({
        ...m,
        headers: { [SCHEMA_VERSION_HEADER]: 2 },
      })),
      ...bridged([message("v-one", 1)]).map((m) => ({ ...m, headers: { [SCHEMA_VERSION_HEADER]: 1 } })),
      ...bridged([message("v-none", 1)]),
    ]);
    await waitFor(async () => (await countRows(spine.db, "sensor_id IN ('v-one', 'v-none')")) === 2, {
      message: "the version 1 and unversioned rows",
    });
    const letters = await waitFor(
      async () => {
        const l = await spine.vhost.readQueue("dead_letters", 50);
        return l.length > 0 ? l : false;
      },
      { message: "no dead letter" },
    );
    expect(letters).toHaveLength(1);
    // Refused whole: a version this ingester does not know is not opened at all.
    expect(letters[0]?.headers[DEAD_LETTER_HEADERS.reason]).toBe("unsupported_version");
    expect(letters[0]?.headers[DEAD_LETTER_HEADERS.routingKey]).toBe("readings.bridged");
    expect(await countRows(spine.db, "sensor_id = 'v-future'")).toBe(0);
  });

  it("drains in-flight work on stop: everything received is committed and acked", async () => {
    const extra = await spine.startIngester({ BATCH_FLUSH_MS: "60000", BATCH_MAX_ROWS: "1000000" });
    for (const i of spine.ingesters.slice(0, 2)) await i.ingester.stop();
    await publishDirect(
      spine.vhost.url,
      bridged(
        Array.from({ length: 500 }, (_, i) => message("drain", i)),
        50,
      ),
    );
    // The long flush interval keeps everything pending until stop() flushes it.
    await waitFor(
      async () =>
        (await metricValue(await metricsText(extra.registry), "sensorstream_ingester_pending_messages")) === 10,
      {
        message: "the ingester did not receive the 10 deliveries (500 messages)",
      },
    );
    expect(await countRows(spine.db, "sensor_id = 'drain'")).toBe(0);
    await extra.ingester.stop();
    expect(await countRows(spine.db, "sensor_id = 'drain'")).toBe(500);
    // Acks settle asynchronously in the quorum queue; nothing may come back as ready.
    let depth = -1;
    await waitFor(
      async () => {
        depth = await spine.vhost.queueDepth("measurements");
        return depth === 0;
      },
      {
        timeoutMs: 10_000,
        message: () => `${depth} messages are back in the queue: they were not acked`,
      },
    );
  });
});
