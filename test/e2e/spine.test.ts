import { DEAD_LETTER_HEADERS } from "@sensorstream/bus";
import { formatMicros, parseRfc3339ToMicros, SCHEMA_VERSION_HEADER } from "@sensorstream/contracts";
import amqp from "amqplib";
import mqtt from "mqtt";
import { afterAll, beforeAll, expect, it } from "vitest";
import { metricValue } from "../fixtures/prometheus.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { waitFor } from "../fixtures/wait.js";
import { countRows, metricsText, rowsOf, type Spine, startSpine } from "./harness.js";

const us = (iso: string): string => {
  const r = parseRfc3339ToMicros(iso);
  if (!r.ok) throw new Error(r.error);
  return String(r.us);
};

describeRabbitMq("telemetry spine: MQTT -> gateway -> RabbitMQ -> ingester -> PostgreSQL", () => {
  let spine: Spine;
  beforeAll(async () => {
    spine = await startSpine("spine", { maxPayloadBytes: 2048 });
  });
  afterAll(async () => {
    await spine?.close();
  });

  it("stores a single reading with a device timestamp, exactly", async () => {
    const c = await spine.connect("crane-1");
    await c.publishAsync(
      "sensors/crane-1/data",
      JSON.stringify({ ts: "2026-11-23T08:00:00.123456789Z", values: { accel_rms: 0.82, temp_c: 41.2 }, seq: 1042 }),
      { qos: 1 },
    );
    const rows = await waitFor(
      async () => ((await rowsOf(spine.db, "crane-1")).length === 2 ? rowsOf(spine.db, "crane-1") : false),
      {
        message: "crane-1 readings never landed",
      },
    );
    // nanoseconds are truncated to PostgreSQL's microseconds
    expect(rows).toEqual([
      { metric: "accel_rms", us: us("2026-11-23T08:00:00.123456Z"), value: 0.82 },
      { metric: "temp_c", us: us("2026-11-23T08:00:00.123456Z"), value: 41.2 },
    ]);
  });

  it("stores batched readings with offsets, epoch millis, booleans, the value shorthand and GPS", async () => {
    const c = await spine.connect("truck-7");
    const batch = [
      { ts: "2026-11-23T10:00:00+02:00", values: { speed_kmh: 50, door_open: true }, lat: -33.45, lon: -70.66 },
      { ts: 1_795_420_800_500, value: 3.2 },
      { ts: "2026-11-23T08:00:01.5Z", values: { speed_kmh: 52, door_open: false }, lat: -33.4501, lon: -70.6601 },
    ];
    await c.publishAsync("sensors/truck-7/data", JSON.stringify(batch), { qos: 1 });
    await waitFor(async () => (await countRows(spine.db, "sensor_id = 'truck-7'")) === 5, { message: "truck-7 rows" });
    const rows = await rowsOf(spine.db, "truck-7");
    expect(rows).toEqual([
      { metric: "door_open", us: us("2026-11-23T08:00:00Z"), value: 1 },
      { metric: "speed_kmh", us: us("2026-11-23T08:00:00Z"), value: 50 },
      { metric: "value", us: String(1_795_420_800_500 * 1000), value: 3.2 },
      { metric: "door_open", us: us("2026-11-23T08:00:01.5Z"), value: 0 },
      { metric: "speed_kmh", us: us("2026-11-23T08:00:01.5Z"), value: 52 },
    ]);
    const track = await spine.db.query<{ lat: number; lon: number }>(
      "SELECT lat, lon FROM positions WHERE sensor_id = 'truck-7' ORDER BY time",
    );
    expect(track).toEqual([
      { lat: -33.45, lon: -70.66 },
      { lat: -33.4501, lon: -70.6601 },
    ]);
  });

  it("takes MQTT over WebSocket on its own port, with the same guarantees", async () => {
    const c = await mqtt.connectAsync(`ws://127.0.0.1:${spine.gateway.wsPort}/mqtt`, {
      clientId: "ws-1",
      reconnectPeriod: 0,
    });
    try {
      await c.publishAsync("sensors/ws-1/data", JSON.stringify({ ts: "2026-11-23T08:00:00Z", value: 7 }), { qos: 1 });
      await waitFor(async () => (await countRows(spine.db, "sensor_id = 'ws-1'")) === 1, { message: "ws-1 row" });
    } finally {
      await c.endAsync();
    }
  });

  it("stamps a reading without ts with the time it was received", async () => {
    const c = await spine.connect("env-3");
    const before = Date.now() * 1000;
    await c.publishAsync("sensors/env-3/data", JSON.stringify({ values: { co2_ppm: 612 } }), { qos: 1 });
    const after = Date.now() * 1000;
    await waitFor(async () => (await countRows(spine.db, "sensor_id = 'env-3'")) === 1, { message: "env-3 row" });
    const [row] = await rowsOf(spine.db, "env-3");
    expect(row?.value).toBe(612);
    expect(Number(row?.us)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Number(row?.us)).toBeLessThanOrEqual(after);
  });

  it("dead-letters bad input with a reason, counts it, keeps the sensor connected, and lands the good data around it", async () => {
    const c = await spine.connect("pump-2");
    const good = (i: number) => JSON.stringify({ ts: formatMicros(Date.UTC(2026, 10, 23, 9, 0, i) * 1000), value: i });
    const bad: Array<[string, string | Buffer, string]> = [
      ["sensors/pump-2/data", "{not json", "malformed_json"],
      ["sensors/pump-2/data", JSON.stringify({ values: { temp_c: "hot" } }), "invalid_payload"],
      ["sensors/pump-2/data", JSON.stringify({ value: 1, lat: 200, lon: 0 }), "invalid_payload"],
      ["sensors/pump-2/data", Buffer.alloc(4096, 0x20), "payload_too_large"],
      ["sensors/bad.id/data", good(99), "invalid_topic"],
      ["sensors/pump-2/whatever", good(98), "invalid_topic"],
    ];
    let i = 0;
    for (const [topic, payload, _reason] of bad) {
      await c.publishAsync("sensors/pump-2/data", good(i++), { qos: 1 });
      await c.publishAsync(topic, payload, { qos: 1 });
    }
    await c.publishAsync("sensors/pump-2/data", good(i++), { qos: 1 });
    expect(c.connected).toBe(true);
    let seen = 0;
    await waitFor(
      async () => {
        seen = await countRows(spine.db, "sensor_id = 'pump-2'");
        return seen === i;
      },
      {
        message: () => `pump-2 has ${seen} of ${i} good rows`,
      },
    );

    const letters = await waitFor(
      async () => {
        const depth = await spine.vhost.queueDepth("dead_letters");
        return depth >= bad.length ? spine.vhost.readQueue("dead_letters", 100) : false;
      },
      { message: "dead letters did not arrive" },
    );
    const reasons = letters.map((l) => String(l.headers[DEAD_LETTER_HEADERS.reason])).sort();
    expect(reasons).toEqual(bad.map(([, , r]) => r).sort());
    const typed = letters.find((l) => String(l.headers[DEAD_LETTER_HEADERS.error]).includes("values.temp_c"));
    expect(typed, "the error names the field").toBeDefined();
    // A device's raw payload follows no bus contract: its dead letter carries no schema version.
    expect(letters.map((l) => l.headers[SCHEMA_VERSION_HEADER])).toEqual(letters.map(() => undefined));
    const oversized = letters.find((l) => l.headers[DEAD_LETTER_HEADERS.reason] === "payload_too_large");
    expect(Number(oversized?.headers[DEAD_LETTER_HEADERS.originalBytes])).toBe(4096);

    const text = await metricsText(spine.gatewayRegistry);
    expect(metricValue(text, "sensorstream_gateway_rejected_total", { reason: "invalid_topic" })).toBe(2);
    expect(metricValue(text, "sensorstream_gateway_rejected_total", { reason: "malformed_json" })).toBe(1);
    expect(metricValue(text, "sensorstream_gateway_rejected_total", { reason: "payload_too_large" })).toBe(1);
    expect(metricValue(text, "sensorstream_dead_letters_total", { source: "gateway" })).toBe(bad.length);
  });

  it("stamps what the gateway publishes on the bus with its schema version", async () => {
    const c = await spine.connect("versioned-1");
    await c.publishAsync("sensors/versioned-1/status", JSON.stringify({ state: "online" }), { qos: 1 });
    // Nobody consumes the registry queue in this spine: the status waits there.
    const status = await waitFor(
      async () =>
        (await spine.vhost.readQueue("registry", 1_000)).find((m) => m.routingKey === "sensor_versioned-1.status"),
      { message: "the status message on the registry queue" },
    );
    expect(status.headers[SCHEMA_VERSION_HEADER]).toBe(1);
    expect(JSON.parse(status.content.toString())).not.toHaveProperty("v");
  });

  it("never duplicates a row when the same message is delivered twice", async () => {
    const conn = await amqp.connect(spine.vhost.url);
    const ch = await conn.createConfirmChannel();
    const body = Buffer.from(
      JSON.stringify({
        msg_id: "replayed-1",
        sensor_id: "replay-1",
        received_at: "2026-11-23T08:00:00.000000Z",
        readings: [
          { time: "2026-11-23T08:00:00.000001Z", values: { a: 1, b: 2 } },
          { time: "2026-11-23T08:00:00.000002Z", values: { a: 3 }, lat: 1, lon: 2 },
        ],
      }),
    );
    // As a gateway publishes it (readings.bridged, an array of data messages), three times over.
    const bridged = Buffer.concat([Buffer.from("["), body, Buffer.from("]")]);
    for (let n = 0; n < 3; n++)
      ch.publish("sensor_streaming", "readings.bridged", bridged, { persistent: true, messageId: "replayed-1" });
    await ch.waitForConfirms();
    await conn.close();
    await waitFor(
      async () =>
        metricValue(
          await metricsText(spine.ingesters[0]?.registry ?? spine.gatewayRegistry),
          "sensorstream_ingester_rows_total",
          { outcome: "duplicate" },
        ) >= 8,
      { message: "the replays were not all processed" },
    );
    expect(await countRows(spine.db, "sensor_id = 'replay-1'")).toBe(3);
    const pos = await spine.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM positions WHERE sensor_id = 'replay-1'",
    );
    expect(pos[0]?.n).toBe("1");
  });
});
