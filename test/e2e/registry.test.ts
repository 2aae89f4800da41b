import { DEAD_LETTER_HEADERS } from "@sensorstream/bus";
import { formatMicros } from "@sensorstream/contracts";
import { migrate } from "@sensorstream/db";
import { type Gateway, gatewayService } from "@sensorstream/gateway";
import { measurementIngesterService } from "@sensorstream/measurement-ingester";
import { registryService } from "@sensorstream/registry";
import { Health, type Registry, silentLogger } from "@sensorstream/runtime";
import { SensorAdmin, SubscriberAdmin } from "@sensorstream/sensors";
import amqp from "amqplib";
import mqtt, { type MqttClient } from "mqtt";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestVhost, type TestVhost } from "../fixtures/amqp.js";
import { createTestDatabase, type TestDatabase, testPool } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { describeRabbitMq } from "../fixtures/rabbitmq-only.js";
import { startService } from "../fixtures/services.js";
import { waitFor } from "../fixtures/wait.js";
import { gatewayEnv, ingesterEnv } from "./harness.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRabbitMq("registry, presence and device security", () => {
  let db: TestDatabase;
  let vhost: TestVhost;
  let pool: pg.Pool;
  let gateway: Gateway;
  let gatewayRegistry: Registry;
  let stops: Array<() => Promise<void>> = [];
  let registryMetrics: Registry;
  let admin: SensorAdmin;
  let url: string;
  const clients: MqttClient[] = [];
  const tokens = new Map<string, string>();

  const connect = (clientId: string, opts: mqtt.IClientOptions = {}) =>
    mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, connectTimeout: 5_000, ...opts }).then((c) => {
      clients.push(c);
      return c;
    });
  const asSensor = (id: string, opts: mqtt.IClientOptions = {}) =>
    connect(id, { username: id, password: tokens.get(id) ?? "", ...opts });
  const sensor = async (id: string) =>
    (await pool.query("SELECT * FROM sensors WHERE id = $1", [id])).rows[0] as Record<string, unknown> | undefined;
  const presenceOf = async (id: string) => (await sensor(id))?.presence;

  beforeAll(async () => {
    db = await createTestDatabase("registry");
    vhost = await createTestVhost("registry");
    pool = testPool(db.url, 3);
    await migrate(pool, { logger: silentLogger(), timescale: "auto" });
    admin = new SensorAdmin(pool);
    for (const id of ["crane-1", "crane-2", "pump-1", "sleepy-1", "quiet-1", "roam-1", "roam-2", "meta-1"]) {
      const metadata = id === "meta-1" ? { site: "yard B", owner: "ops" } : undefined;
      const r = await admin.create({ id, type: "vibration", metadata });
      if ("token" in r) tokens.set(id, r.token);
    }
    const health = new Health();
    const started = [
      await startService(
        registryService,
        {
          AMQP_URL: vhost.url,
          DATABASE_URL: db.url,
          REGISTRATION: "manual",
          SILENT_FLOOR_S: "1",
          SILENT_INTERVALS: "5",
          PRESENCE_CHECK_S: "1",
          DB_POOL_SIZE: "2",
        },
        { health, ready: false },
      ),
      await startService(measurementIngesterService, ingesterEnv(vhost.url, db.url), { health, ready: false }),
    ];
    const gatewayStarted = await startService(
      gatewayService,
      {
        ...(await gatewayEnv(vhost.url, db.url)),
        MQTT_AUTH: "required",
        MQTT_WS_PORT: "0",
        MQTT_MAX_CONNECTIONS: "100",
      },
      { health },
    );
    stops = [gatewayStarted.stop, ...started.map((s) => s.stop).reverse()];
    registryMetrics = (started[0] as { registry: Registry }).registry;
    gateway = gatewayStarted.service;
    gatewayRegistry = gatewayStarted.registry;
    url = `mqtt://127.0.0.1:${gateway.mqttPort}`;
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    for (const stop of stops) await stop();
    await pool?.end();
    await vhost?.drop();
    await db?.drop();
  });

  it("accepts a sensor with its token and refuses wrong, missing and unknown credentials with the MQTT return code", async () => {
    const ok = await asSensor("crane-1");
    expect(ok.connected).toBe(true);
    await expect(connect("crane-1b", { username: "crane-1", password: "wrong" })).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connect("crane-1c")).rejects.toThrow(/Bad username or password/i);
    // An unknown sensor gets the same answer as a wrong token, so sensor ids cannot be enumerated.
    await expect(connect("ghost-1", { username: "ghost-1", password: "x" })).rejects.toThrow(
      /Bad username or password/i,
    );
    const text = await gatewayRegistry.metrics();
    expect(metricValue(text, "sensorstream_gateway_connects_total", { outcome: "bad_credentials" })).toBe(2);
    expect(metricValue(text, "sensorstream_gateway_connects_total", { outcome: "unknown_sensor" })).toBe(1);
  });

  it("refuses a sensor speaking for another: nothing of it lands, it is counted, its own data still lands", async () => {
    const c = await asSensor("crane-2");
    await c.publishAsync("sensors/pump-1/data", JSON.stringify({ ts: "2026-11-23T08:00:00Z", value: 1 }), { qos: 1 });
    await c.publishAsync("sensors/crane-2/data", JSON.stringify({ ts: "2026-11-23T08:00:00Z", value: 2 }), { qos: 1 });
    // SUBACK 0x80: mqtt.js rejects the subscribe; the connection stays up
    await expect(c.subscribeAsync("sensors/pump-1/commands/#", { qos: 1 })).rejects.toThrow(/Subscribe error/);
    const own = await c.subscribeAsync("sensors/crane-2/commands/#", { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    await waitFor(async () => (await db.query("SELECT 1 FROM measurements WHERE sensor_id = 'crane-2'")).length === 1, {
      message: "crane-2's own reading did not land",
    });
    expect(await db.query("SELECT 1 FROM measurements WHERE sensor_id = 'pump-1'")).toHaveLength(0);
    expect(c.connected).toBe(true);
    const text = await gatewayRegistry.metrics();
    expect(metricValue(text, "sensorstream_gateway_refused_total", { action: "publish" })).toBe(1);
    expect(metricValue(text, "sensorstream_gateway_refused_total", { action: "subscribe" })).toBe(1);
  });

  it("read-only subscriber credentials subscribe within their grant and publish nothing", async () => {
    const created = await new SubscriberAdmin(pool).create("dashboard", ["alerts/#"]);
    if ("conflict" in created) throw new Error("conflict");
    const c = await connect(created.username, { username: created.username, password: created.token });
    expect((await c.subscribeAsync("alerts/#"))[0]?.qos).toBe(0);
    await expect(c.subscribeAsync("sensors/#")).rejects.toThrow(/Subscribe error/);
    await c.publishAsync("sensors/crane-1/data", JSON.stringify({ value: 9 }), { qos: 1 });
    await sleep(300);
    expect(await db.query("SELECT 1 FROM measurements WHERE sensor_id = 'crane-1' AND value = 9")).toHaveLength(0);
  });

  it("tracks presence: online on birth, offline on the Last Will when the connection dies, with history and events", async () => {
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    const q = await ch.assertQueue("", { exclusive: true });
    await ch.bindQueue(q.queue, "sensor_streaming", "sensor_pump-1.presence");
    const c = await asSensor("pump-1", {
      will: { topic: "sensors/pump-1/status", payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    });
    await c.publishAsync(
      "sensors/pump-1/status",
      JSON.stringify({ state: "online", mode: "awake", sample_hz: 0.05, model: "P-9", site: "dock 4" }),
      { qos: 1, retain: true },
    );
    // The connection event alone already makes it online: wait for the birth message itself.
    await waitFor(async () => (await sensor("pump-1"))?.model === "P-9", { message: "pump-1's birth never applied" });
    expect(await sensor("pump-1")).toMatchObject({
      presence: "online",
      model: "P-9",
      reported_mode: "awake",
      reported_sample_hz: 0.05,
      reported_metadata: { site: "dock 4" },
      metadata: {},
    });
    c.stream.destroy(); // no DISCONNECT: the broker publishes the Last Will
    await waitFor(async () => (await presenceOf("pump-1")) === "offline", { message: "pump-1 never offline" });
    const history = await db.query<{ state: string; reason: string }>(
      "SELECT state, reason FROM sensor_presence_history WHERE sensor_id = 'pump-1' ORDER BY time",
    );
    expect(history.map((h) => h.state)).toEqual(["online", "offline"]);
    const events = await waitFor(
      async () => {
        const out: string[] = [];
        for (let m = await ch.get(q.queue, { noAck: true }); m; m = await ch.get(q.queue, { noAck: true })) {
          out.push(JSON.parse(m.content.toString()).state);
        }
        return out.length >= 2 ? out : false;
      },
      { message: "no presence events" },
    );
    expect(events).toEqual(["online", "offline"]);
    await conn.close();
  });

  it("an asleep sensor stays asleep, not offline, when it disconnects", async () => {
    const c = await asSensor("sleepy-1");
    await c.publishAsync("sensors/sleepy-1/status", JSON.stringify({ state: "online", mode: "asleep" }), { qos: 1 });
    await waitFor(async () => (await presenceOf("sleepy-1")) === "asleep", { message: "never asleep" });
    await c.endAsync();
    await sleep(500);
    expect(await presenceOf("sleepy-1")).toBe("asleep");
    expect((await sensor("sleepy-1"))?.connection).toBe("disconnected");
  });

  it("goes silent when an awake sensor stops sending, and back online when it sends; last_seen follows the data", async () => {
    const c = await asSensor("quiet-1");
    await c.publishAsync("sensors/quiet-1/status", JSON.stringify({ state: "online", mode: "awake", sample_hz: 10 }), {
      qos: 1,
    });
    await waitFor(async () => (await presenceOf("quiet-1")) === "online", { message: "never online" });
    await waitFor(async () => (await presenceOf("quiet-1")) === "silent", {
      timeoutMs: 6_000,
      message: "never silent",
    });
    const before = Date.now();
    await c.publishAsync("sensors/quiet-1/data", JSON.stringify({ value: 1, lat: 10.5, lon: 20.5 }), { qos: 1 });
    await waitFor(async () => (await presenceOf("quiet-1")) === "online", { message: "never back online" });
    const s = await sensor("quiet-1");
    expect(s?.last_seen).toBeInstanceOf(Date);
    expect((s?.last_seen as Date | undefined)?.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(s).toMatchObject({ last_lat: 10.5, last_lon: 20.5 });
    const states = (
      await db.query<{ state: string }>(
        "SELECT state FROM sensor_presence_history WHERE sensor_id = 'quiet-1' ORDER BY time",
      )
    ).map((h) => h.state);
    expect(states).toEqual(["online", "silent", "online"]);
  });

  it("ignores out-of-order and duplicate status events, and dead-letters status from an unknown sensor", async () => {
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createConfirmChannel();
    const at = (s: number) => formatMicros(Date.now() * 1000 + s * 1_000_000);
    const status = (id: string, state: string, when: string, n: string) =>
      Buffer.from(JSON.stringify({ msg_id: n, sensor_id: id, received_at: when, status: { state } }));
    ch.publish("sensor_streaming", "sensor_crane-1.status", status("crane-1", "offline", at(2), "a"), {
      messageId: "a",
    });
    ch.publish("sensor_streaming", "sensor_crane-1.status", status("crane-1", "online", at(1), "b"), {
      messageId: "b",
    });
    ch.publish("sensor_streaming", "sensor_crane-1.status", status("crane-1", "offline", at(2), "a"), {
      messageId: "a",
    });
    ch.publish("sensor_streaming", "sensor_nobody-1.status", status("nobody-1", "online", at(3), "c"), {
      messageId: "c",
    });
    await ch.waitForConfirms();
    await conn.close();
    const letters: Array<{ headers: Record<string, unknown> }> = [];
    await waitFor(
      async () => {
        letters.push(...(await vhost.readQueue("dead_letters", 100)));
        return letters.some((l) => l.headers[DEAD_LETTER_HEADERS.reason] === "unknown_sensor");
      },
      { message: "no dead letter for the unknown sensor" },
    );
    const unknown = letters.find((l) => l.headers[DEAD_LETTER_HEADERS.reason] === "unknown_sensor");
    expect(unknown?.headers[DEAD_LETTER_HEADERS.sensorId]).toBe("nobody-1");
    expect(await presenceOf("crane-1")).toBe("offline");
    expect(await sensor("nobody-1")).toBeUndefined();
  });
  /** Publishes registry messages straight onto the bus, in this order, on one confirmed channel. */
  const publishRaw = async (messages: Array<{ key: string; body: unknown }>) => {
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createConfirmChannel();
    for (const [i, m] of messages.entries()) {
      const body = typeof m.body === "string" ? m.body : JSON.stringify(m.body);
      ch.publish("sensor_streaming", m.key, Buffer.from(body), { messageId: `raw-${Date.now()}-${i}` });
    }
    await ch.waitForConfirms();
    await conn.close();
  };
  const registryCount = async (labels: Record<string, string>) =>
    metricValue(await registryMetrics.metrics(), "sensorstream_registry_events_total", labels);
  const deadLetters: Array<{ headers: Record<string, unknown>; content: Buffer }> = [];
  const deadLetterFor = (pred: (h: Record<string, unknown>) => boolean) =>
    waitFor(
      async () => {
        deadLetters.push(...(await vhost.readQueue("dead_letters", 100)));
        return deadLetters.find((l) => pred(l.headers)) ?? false;
      },
      { message: "no such dead letter" },
    );

  it("orders by connection: a disconnect and Last Will of an older connection, arriving late and in the bad order, do not mark a reconnected sensor offline", async () => {
    const now = Date.now() * 1000;
    const at = (s: number) => formatMicros(now + s * 1_000_000);
    const c1 = at(-60); // the connection on replica A, which died unnoticed
    const c2 = at(-2); // the reconnection on replica B
    const conn = (n: string, connected: boolean, received: string, connectedAt: string) => ({
      key: "sensor_roam-1.connection",
      body: {
        msg_id: n,
        sensor_id: "roam-1",
        received_at: received,
        connected,
        clean: false,
        client_id: "roam-1",
        connected_at: connectedAt,
      },
    });
    const status = (n: string, state: string, received: string, connectedAt?: string) => ({
      key: "sensor_roam-1.status",
      body: {
        msg_id: n,
        sensor_id: "roam-1",
        received_at: received,
        // A slow rate: the test's 1 s silence floor must not make it silent meanwhile.
        status: state === "online" ? { state, sample_hz: 0.001 } : { state },
        ...(connectedAt === undefined ? {} : { connected_at: connectedAt }),
      },
    });
    const staleBefore = await registryCount({ kind: "connection", outcome: "stale" });
    await publishRaw([
      conn("r1", true, c1, c1),
      status("r2", "online", at(-59), c1),
      conn("r3", true, c2, c2),
      status("r4", "online", at(-1), c2),
      // replica A notices the dead socket only now (keepalive): later receive times, older connection
      status("r5", "offline", at(1), c1),
      conn("r6", false, at(2), c1),
    ]);
    // The disconnect comes last: once it counts as stale, everything before it was applied.
    await waitFor(async () => (await registryCount({ kind: "connection", outcome: "stale" })) > staleBefore, {
      message: "the older connection's events were never applied",
    });
    expect(await sensor("roam-1")).toMatchObject({ presence: "online", connection: "connected" });
    expect((await sensor("roam-1"))?.connected_at).toEqual(new Date(Math.floor((now - 2_000_000) / 1000)));
    const history = await db.query<{ state: string }>(
      "SELECT state FROM sensor_presence_history WHERE sensor_id = 'roam-1' ORDER BY time",
    );
    expect(history.map((h) => h.state)).toEqual(["online"]);
    // Without connected_at (an older gateway), receive time decides: this later Last Will applies.
    await publishRaw([status("r7", "offline", at(3))]);
    await waitFor(async () => (await presenceOf("roam-1")) === "offline", { message: "legacy Last Will ignored" });
  });

  it("applies a burst of events of many sensors in order per sensor, and dead-letters the invalid ones without failing the rest", async () => {
    const now = Date.now() * 1000;
    const at = (s: number) => formatMicros(now + s * 1_000_000);
    const body = (n: string, state: string, received: string, extra: Record<string, unknown> = {}) => ({
      msg_id: n,
      sensor_id: "roam-2",
      received_at: received,
      status: { state, ...extra },
    });
    await publishRaw([
      { key: "sensor_roam-2.status", body: body("b1", "online", at(0), { model: "R-1", sample_hz: 0.001 }) },
      { key: "sensor_roam-2.status", body: body("b2", "online", at(1), { sample_hz: 1e-300 }) },
      { key: "sensor_roam-2.status", body: "{not json" },
      { key: "sensor_roam-2.status", body: body("b3", "offline", at(2)) },
      { key: "sensor_roam-2.status", body: body("b4", "online", at(3), { firmware: "2.0" }) },
      { key: "sensor_roam-2.status", body: body("b5", "online", at(4), { deep: { a: { b: { c: { d: 1 } } } } }) },
    ]);
    const tiny = await deadLetterFor((h) => String(h[DEAD_LETTER_HEADERS.error]).startsWith("status.sample_hz"));
    expect(tiny.headers[DEAD_LETTER_HEADERS.reason]).toBe("invalid_payload");
    expect(tiny.headers[DEAD_LETTER_HEADERS.sensorId]).toBe("roam-2");
    await deadLetterFor((h) => /nested deeper/.test(String(h[DEAD_LETTER_HEADERS.error])));
    await deadLetterFor((h) => /not JSON/.test(String(h[DEAD_LETTER_HEADERS.error])));
    await waitFor(async () => (await sensor("roam-2"))?.firmware === "2.0", {
      message: "the valid events never applied",
    });
    expect(await sensor("roam-2")).toMatchObject({ presence: "online", model: "R-1", reported_sample_hz: 0.001 });
    const history = await db.query<{ state: string }>(
      "SELECT state FROM sensor_presence_history WHERE sensor_id = 'roam-2' ORDER BY time",
    );
    expect(history.map((h) => h.state)).toEqual(["online", "offline", "online"]);
  });

  it("keeps device-reported metadata apart: an operator's key always wins, and a device cannot overwrite or grow it without bound", async () => {
    const c = await asSensor("meta-1");
    await c.publishAsync(
      "sensors/meta-1/status",
      JSON.stringify({ state: "online", sample_hz: 0.001, site: "dock 9", battery_pct: 80 }),
      { qos: 1 },
    );
    await waitFor(async () => (await sensor("meta-1"))?.presence === "online", { message: "meta-1 never online" });
    await waitFor(async () => (await admin.get("meta-1"))?.metadata.battery_pct === 80, {
      message: "device metadata never applied",
    });
    expect((await admin.get("meta-1"))?.metadata).toEqual({ site: "yard B", owner: "ops", battery_pct: 80 });
    expect(await sensor("meta-1")).toMatchObject({
      metadata: { site: "yard B", owner: "ops" },
      reported_metadata: { site: "dock 9", battery_pct: 80 },
    });
    // Refused at the edge: too many keys, a NUL. Nothing of them lands.
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    await c.publishAsync("sensors/meta-1/status", JSON.stringify({ state: "online", ...many }), { qos: 1 });
    await c.publishAsync("sensors/meta-1/status", JSON.stringify({ state: "online", site: "x\u0000" }), { qos: 1 });
    // The operator replaces their metadata: device keys stay, the operator's win.
    await admin.update("meta-1", { metadata: { battery_pct: "n/a" } });
    await c.publishAsync("sensors/meta-1/status", JSON.stringify({ state: "online", battery_pct: 79 }), { qos: 1 });
    const reported = async () => (await sensor("meta-1"))?.reported_metadata as Record<string, unknown> | undefined;
    await waitFor(async () => (await reported())?.battery_pct === 79, {
      message: "the last birth never applied",
    });
    expect((await admin.get("meta-1"))?.metadata).toEqual({ battery_pct: "n/a" });
    expect(await reported()).toEqual({ battery_pct: 79 });
    const refused = metricValue(await gatewayRegistry.metrics(), "sensorstream_gateway_rejected_total", {
      reason: "invalid_payload",
    });
    expect(refused).toBeGreaterThanOrEqual(2);
  });
});
