/**
 * Fleet churn: N sensors connect through the gateway (real MQTT clients), each sends its birth status and one
 * reading, then they all leave. Measures how fast the registry follows: time from the last connect until every
 * sensor is shown online, and from the last disconnect until every one is shown offline.
 */
import { readFile } from "node:fs/promises";
import { formatMicros } from "@sensorstream/contracts";
import amqp from "amqplib";
import mqtt, { type MqttClient } from "mqtt";
import pg from "pg";
import { createTestVhost } from "../fixtures/amqp.js";
import { createTestDatabase } from "../fixtures/pg.js";
import { metricValue } from "../fixtures/prometheus.js";
import { spawnPlatform } from "./platform-process.js";

export type ChurnOptions = {
  sensors: number;
  /** MQTT handshakes in flight at once. */
  concurrency: number;
  /** Give up waiting for the registry after this long (the result then says so). */
  settleTimeoutS: number;
  /** Which build to run: the all-in-one entry point of this checkout, or another built checkout's. */
  main?: string | undefined;
  label: string;
  /** Then this many connect events published straight onto the bus at once (0: none): the registry's own rate. */
  burst: number;
  log: (line: string) => void;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Peak resident set of a process (VmHWM), in MiB; undefined where /proc is not there. */
async function peakRssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? undefined : round(Number(kb) / 1024, 0);
}

/** The registry's own view (builds with batched presence only): how many batches, their mean duration and size. */
async function registryFigures(metricsUrl: string) {
  const text = await fetch(metricsUrl).then(
    (r) => r.text(),
    () => "",
  );
  const batches = metricValue(text, "sensorstream_registry_batch_seconds_count");
  if (batches === 0) return undefined;
  return {
    batches,
    mean_batch_ms: round((metricValue(text, "sensorstream_registry_batch_seconds_sum") / batches) * 1000, 1),
    mean_messages_per_batch: round(metricValue(text, "sensorstream_registry_batch_messages_sum") / batches, 1),
  };
}

/**
 * The registry alone, without MQTT in front of it: one connect event per sensor (a new connection each) published
 * at once on the bus; the time until all are shown online gives the events per second it applies from a backlog.
 */
async function busBurst(url: string, ids: readonly string[], allOnline: () => Promise<number | undefined>) {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  const started = Date.now();
  const at = formatMicros(started * 1000);
  for (const [i, id] of ids.entries()) {
    const body = {
      msg_id: `burst-${i}`,
      sensor_id: id,
      received_at: at,
      connected: true,
      clean: false,
      client_id: id,
      connected_at: at,
    };
    ch.publish("sensor_streaming", `sensor_${id}.connection`, Buffer.from(JSON.stringify(body)), {
      messageId: body.msg_id,
    });
  }
  await ch.waitForConfirms();
  const published = Date.now();
  await conn.close();
  const done = await allOnline();
  return {
    events: ids.length,
    published_s: round((published - started) / 1000),
    all_applied_s: done === undefined ? null : round((done - started) / 1000),
    events_per_s: done === undefined ? null : Math.round(ids.length / ((done - started) / 1000)),
  };
}

/** Runs `fn` over items with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function runChurn(o: ChurnOptions) {
  const runId = Date.now().toString(36).slice(-5);
  const db = await createTestDatabase(`bench_churn_${runId}`);
  const vhost = await createTestVhost(`bench_churn_${runId}`);
  const platform = await spawnPlatform(
    {
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      MQTT_AUTH: "open",
      REGISTRATION: "auto",
      MQTT_CONNECT_RATE: "100000",
      MQTT_MAX_CONNECTIONS: String(o.sensors + 1_000),
    },
    o.main,
  );
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const prefix = `churn${runId}`;
  const ids = Array.from({ length: o.sensors }, (_, i) => `${prefix}-${i}`);
  const count = async (presence: string) =>
    Number(
      (
        await client.query<{ n: string }>(
          "SELECT count(*)::text AS n FROM sensors WHERE id LIKE $1 AND presence = $2",
          [`${prefix}-%`, presence],
        )
      ).rows[0]?.n ?? 0,
    );
  const waitFor = async (presence: string, n = o.sensors): Promise<number | undefined> => {
    const started = Date.now();
    while (Date.now() - started < o.settleTimeoutS * 1000) {
      if ((await count(presence)) >= n) return Date.now();
      await sleep(100);
    }
    return undefined;
  };
  const clients: MqttClient[] = [];
  try {
    o.log(`${o.label}: connecting ${o.sensors} sensors`);
    const firstConnect = Date.now();
    await pool(ids, o.concurrency, async (id) => {
      const c = await mqtt.connectAsync(platform.mqttUrl, {
        clientId: id,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 60_000,
        keepalive: 60,
        will: { topic: `sensors/${id}/status`, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: false },
      });
      clients.push(c);
      // A slow rate, so that no sensor turns silent while the rest of the fleet is still connecting.
      const birth = JSON.stringify({ state: "online", mode: "awake", sample_hz: 0.001 });
      await Promise.all([
        c.publishAsync(`sensors/${id}/status`, birth, { qos: 1 }),
        c.publishAsync(`sensors/${id}/data`, JSON.stringify({ value: 1 }), { qos: 1 }),
      ]);
    });
    const lastConnect = Date.now();
    o.log(`${o.label}: all connected in ${round((lastConnect - firstConnect) / 1000)} s; waiting for the registry`);
    const allOnline = await waitFor("online");
    o.log(`${o.label}: disconnecting`);
    const firstDisconnect = Date.now();
    await pool(clients, o.concurrency, (c) => c.endAsync());
    const lastDisconnect = Date.now();
    const allOffline = await waitFor("offline");
    const burst =
      o.burst > 0 ? await busBurst(vhost.url, ids.slice(0, o.burst), () => waitFor("online", o.burst)) : undefined;
    const online = allOnline === undefined ? undefined : (allOnline - lastConnect) / 1000;
    const offline = allOffline === undefined ? undefined : (allOffline - lastDisconnect) / 1000;
    return {
      build: o.label,
      sensors: o.sensors,
      connect_s: round((lastConnect - firstConnect) / 1000),
      disconnect_s: round((lastDisconnect - firstDisconnect) / 1000),
      all_online_after_last_connect_s: online === undefined ? `not within ${o.settleTimeoutS} s` : round(online),
      all_offline_after_last_disconnect_s: offline === undefined ? `not within ${o.settleTimeoutS} s` : round(offline),
      // Presence events: a connect and a birth per sensor, then a disconnect (activity reports come on top).
      online_phase_events_per_s:
        allOnline === undefined ? null : Math.round((2 * o.sensors) / ((allOnline - firstConnect) / 1000)),
      offline_phase_events_per_s:
        allOffline === undefined ? null : Math.round(o.sensors / ((allOffline - firstDisconnect) / 1000)),
      bus_burst: burst,
      platform_peak_rss_mib: await peakRssMiB(platform.child.pid),
      registry: await registryFigures(platform.metricsUrl),
    };
  } finally {
    for (const c of clients) c.end(true);
    await client.end();
    await platform.stop();
    await vhost.drop();
    await db.drop();
  }
}
