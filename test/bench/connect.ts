/**
 * Connect mode (`npm run bench -- --only connect`): N simulated sensors (default 10,000 at 0.2 Hz) connect to one
 * platform process (one gateway) whose per-IP connect rate allows it (MQTT_CONNECT_RATE, raised: the whole fleet
 * comes from 127.0.0.1). Reports the time until all are connected, the gateway process's memory per connection, the
 * fleet's refusals by reason, and that every acknowledged reading was stored once.
 */
import { readFile } from "node:fs/promises";
import { type FleetStats, startFleet } from "@sensorstream/simulator";
import pg from "pg";
import { peakRssMiB } from "./scenario.js";
import { freshPlatform } from "./targets.js";

export type ConnectOptions = {
  sensors: number;
  rateHz: number;
  connectRate: number;
  /** Give up waiting for the whole fleet after this long. */
  timeoutS: number;
  /** Then keep the connected fleet publishing this long. */
  holdS: number;
  nodeArgs?: readonly string[];
  log: (line: string) => void;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rssMiB(pid: number | undefined): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

export async function runConnect(o: ConnectOptions) {
  const target = await freshPlatform(`connect${Date.now().toString(36).slice(-4)}`, {
    env: { MQTT_CONNECT_RATE: String(o.connectRate), MQTT_MAX_CONNECTIONS: String(o.sensors + 1000) },
    ...(o.nodeArgs ? { nodeArgs: o.nodeArgs } : {}),
  });
  try {
    await sleep(2000);
    const rssBefore = await rssMiB(target.pid);
    const benchBefore = process.memoryUsage().rss / 2 ** 20;
    const prefix = `conn${Date.now().toString(36).slice(-4)}`;
    const started = Date.now();
    let allAt: number | undefined;
    let rssAll: number | undefined;
    let last: FleetStats | undefined;
    const fleet = startFleet({
      mqttUrl: target.mqttUrl,
      sensors: o.sensors,
      rateHz: o.rateHz,
      idPrefix: prefix,
      types: ["temperature"],
      connectConcurrency: 500,
      progressIntervalMs: 1000,
      onProgress: (s) => {
        last = s;
        if (allAt === undefined && s.connected === o.sensors) {
          allAt = Date.now();
          void rssMiB(target.pid).then((r) => {
            rssAll = r;
          });
        }
        if (Math.round(s.elapsed_s) % 5 === 0)
          o.log(`connect: ${s.connected}/${s.sensors} connected, not connected: ${JSON.stringify(s.not_connected)}`);
      },
    });
    // Until all are connected (or the timeout), then hold the whole fleet publishing for a while.
    while (allAt === undefined && Date.now() - started < o.timeoutS * 1000) await sleep(250);
    await sleep(o.holdS * 1000);
    const rssEnd = await rssMiB(target.pid);
    const connectedEnd = last?.connected ?? 0;
    const stats = await fleet.stop();
    const loadS = Math.round((Date.now() - started) / 1000);
    const benchAfter = process.memoryUsage().rss / 2 ** 20;
    // Every acknowledged reading lands once.
    const db = new pg.Client({ connectionString: target.databaseUrl });
    await db.connect();
    const count = async () =>
      (
        await db.query<{ n: number; d: number }>(
          "SELECT count(*)::int AS n, count(DISTINCT (sensor_id, metric, time))::int AS d FROM measurements WHERE sensor_id LIKE $1",
          [`${prefix}-%`],
        )
      ).rows[0] ?? { n: 0, d: 0 };
    let rows = await count();
    for (let i = 0; i < 60 && rows.n < stats.values_acked; i++) {
      await sleep(500);
      rows = await count();
    }
    await db.end();
    // Measured when all were connected, else at the end over those connected then.
    const rssConnected = rssAll ?? rssEnd;
    const perConnKiB =
      rssBefore !== undefined && rssConnected !== undefined && connectedEnd > 0
        ? Math.round(((rssConnected - rssBefore) * 1024) / (rssAll !== undefined ? o.sensors : connectedEnd))
        : null;
    return {
      sensors: o.sensors,
      rate_hz: o.rateHz,
      mqtt_connect_rate_per_ip: o.connectRate,
      all_connected_after_s: allAt === undefined ? null : Math.round((allAt - started) / 100) / 10,
      connected_at_end_of_load: connectedEnd,
      not_connected_at_end_of_load: last?.not_connected ?? null,
      connect_errors: stats.connect_errors,
      platform_rss_mib_before: rssBefore === undefined ? null : Math.round(rssBefore),
      platform_rss_mib_all_connected: rssAll === undefined ? null : Math.round(rssAll),
      platform_rss_mib_end_of_load: rssEnd === undefined ? null : Math.round(rssEnd),
      platform_kib_per_connection: perConnKiB,
      platform_peak_rss_mib: (await peakRssMiB(target.pid)) ?? null,
      fleet_kib_per_sensor: Math.round(((benchAfter - benchBefore) * 1024) / o.sensors),
      load_s: loadS,
      timeout_s: o.timeoutS,
      readings_acked: stats.readings_acked,
      rows_expected: stats.values_acked,
      rows_stored: rows.n,
      lost: Math.max(0, stats.values_acked - rows.n),
      duplicates: rows.n - rows.d,
    };
  } finally {
    await target.stop();
  }
}
