/**
 * The live stream end to end: a reading published over MQTT through the real gateway is committed by the
 * ingester, announced on the live log and arrives as `event: reading`; a client that drops and reconnects with
 * Last-Event-ID, to another API replica, gets what it missed, nothing twice.
 */
import { registerApi } from "@sensorstream/api";
import { createHttpServer, createRegistry, Health, silentLogger } from "@sensorstream/runtime";
import mqtt from "mqtt";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPool } from "../fixtures/pg.js";
import { startTestPlatform, type TestPlatform } from "../fixtures/platform.js";
import { openSse, type SseClient, type SseEvent } from "../fixtures/sse.js";
import { waitFor } from "../fixtures/wait.js";

describe("live stream (SSE)", () => {
  let t: TestPlatform;
  let pool: pg.Pool;
  let second: ReturnType<typeof createHttpServer>;
  let secondUrl: string;
  let sensor: mqtt.MqttClient;
  const clients: SseClient[] = [];
  const auth = () => ({ authorization: `Bearer ${t.platform.apiToken}` });
  const readings = (e: SseEvent) => e.event === "reading";
  const publish = (value: number) =>
    sensor.publishAsync(
      "sensors/live-1/data",
      JSON.stringify({ ts: Date.UTC(2026, 10, 23, 8, 0, value), values: { temp_c: value, rpm: 1000 + value } }),
      { qos: 1 },
    );
  const open = async (base: string, query: string, headers: Record<string, string> = {}) => {
    const c = await openSse(`${base}/api/stream?${query}`, { ...auth(), ...headers });
    clients.push(c);
    await waitFor(() => c.comments.includes("reading"), { message: "the stream never attached to the live log" });
    return c;
  };

  beforeAll(async () => {
    t = await startTestPlatform("live");
    const created = await t.api("POST", "/api/sensors", { id: "live-1" });
    expect(created.status).toBe(201);
    sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.platform.mqttPort}`, {
      clientId: "live-1",
      username: "live-1",
      password: created.body.token as string,
    });
    // A second API replica on the same database and broker.
    pool = testPool(t.db.url, 2);
    second = createHttpServer({ registry: createRegistry(), health: new Health() });
    await registerApi(second, {
      pool,
      amqpUrl: t.vhost.url,
      logger: silentLogger(),
      registry: createRegistry(),
      auth: { token: t.platform.apiToken, readAccess: "token" },
    });
    secondUrl = await second.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await sensor?.endAsync();
    await second?.close();
    await pool?.end();
    await t?.close();
  });

  it("delivers a reading published over MQTT as event: reading, with an id", async () => {
    const c = await open(`http://127.0.0.1:${t.platform.httpPort}`, "sensor_ids=live-1");
    expect(c.status).toBe(200);
    await publish(1);
    const [e] = await c.next(1, readings);
    expect(e?.id).toMatch(/^[0-9]+-[0-9]+$/);
    expect(JSON.parse(e?.data ?? "")).toStrictEqual({
      sensor_id: "live-1",
      time: "2026-11-23T08:00:01.000000Z",
      values: { temp_c: 1, rpm: 1001 },
    });
    c.close();
  });

  it("resumes after Last-Event-ID on another replica: what was missed, in order, nothing twice", async () => {
    const first = await open(
      `http://127.0.0.1:${t.platform.httpPort}`,
      "sensor_ids=live-1&metrics=temp_c&presence=false",
    );
    await publish(2);
    const [seen] = await first.next(1, readings);
    first.close();
    // While no client is connected:
    for (const v of [3, 4, 5]) await publish(v);
    await waitFor(
      async () =>
        ((await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM measurements WHERE sensor_id = 'live-1'"))[0]
          ?.n ?? 0) >= 10,
      { message: "the readings were never stored" },
    );
    const resumed = await open(secondUrl, "sensor_ids=live-1&metrics=temp_c&presence=false", {
      "last-event-id": seen?.id ?? "",
    });
    await publish(6);
    const got = await resumed.next(4, readings);
    expect(got.map((e) => JSON.parse(e.data) as { values: Record<string, number> }).map((d) => d.values)).toStrictEqual(
      [{ temp_c: 3 }, { temp_c: 4 }, { temp_c: 5 }, { temp_c: 6 }],
    );
    // ids increase (offset, then index in the entry): the second replica numbers events as the first does
    const ids = [seen, ...got].map((e) => (e?.id ?? "").split("-").map(Number) as [number, number]);
    const key = ([o, i]: [number, number]) => o * 1e6 + i;
    for (let k = 1; k < ids.length; k++) expect(key(ids[k] ?? [0, 0])).toBeGreaterThan(key(ids[k - 1] ?? [0, 0]));
  });

  it("refuses an id it did not write, saying what to do", async () => {
    const r = await t.platform.http.inject({
      url: "/api/stream",
      headers: { ...auth(), "last-event-id": "nope" },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({
      error: { code: "invalid_query", message: expect.stringContaining("reconnect without it") },
    });
  });
});
