import type { Agg, Fill } from "../../core/buckets.js";
import { isoMicros } from "./sql.js";

/**
 * SQL of the range queries, as text and parameters: the JSON routes run it with a LIMIT, the exports stream the
 * same text through COPY. Everything interpolated here is from a fixed vocabulary (aggregate names, fill modes,
 * table names below); values are always parameters.
 */
export type Sql = { text: string; values: unknown[] };

const EPOCH = "timestamptz '1970-01-01 00:00:00+00'";

/**
 * Grouping and ordering by ids and metric names in byte order ("C"): the same answer for these ASCII names, and
 * several times faster than a linguistic collation when thousands of rows share a bucket.
 */
const BYTES = (column: string) => `${column} COLLATE "C" AS ${column}`;

/**
 * One sensor's raw readings in [from, to), ordered by time then metric, after the keyset (time, metric). Per
 * metric, a range scan of the primary key (sensor_id, metric, time) reads at most `limit` rows; the merge of those
 * few is what gets sorted, so a page costs about metrics × limit rows however long the range is.
 */
export function rawPageSql(q: {
  sensorId: string;
  from: string;
  to: string;
  metrics: readonly string[];
  after: { time: string; metric: string } | undefined;
  limit: number;
}): Sql {
  const after = q.after ?? { time: q.from, metric: "" };
  return {
    text: `SELECT ${isoMicros("r.time")} AS time, r.metric, r.value
             FROM unnest($2::text[]) AS m(metric)
             CROSS JOIN LATERAL (
               SELECT x.time, x.metric, x.value FROM measurements x
                WHERE x.sensor_id = $1 AND x.metric = m.metric AND x.time >= $5::timestamptz AND x.time < $4::timestamptz
                  AND x.time >= $3::timestamptz AND (x.time, x.metric) > ($5::timestamptz, $6::text)
                ORDER BY x.time LIMIT $7) r
            ORDER BY r.time, r.metric
            LIMIT $7`,
    values: [q.sensorId, q.metrics, q.from, q.to, after.time, after.metric, q.limit],
  };
}

/** The whole of one sensor's raw range, for an export (no page; the server sorts, the client streams). */
export function rawAllSql(q: {
  sensorId: string;
  from: string;
  to: string;
  metrics: readonly string[] | undefined;
}): Sql {
  return {
    text: `SELECT ${isoMicros("time")} AS time, metric, value FROM measurements
            WHERE sensor_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz
              ${q.metrics ? "AND metric = ANY($4::text[])" : ""}
            ORDER BY time, metric`,
    values: q.metrics ? [q.sensorId, q.from, q.to, q.metrics] : [q.sensorId, q.from, q.to],
  };
}

/** The metrics a sensor ever stored: a loose index scan of the primary key, one probe per metric. */
export const metricsOfSensorSql = (sensorId: string): Sql => ({
  text: `WITH RECURSIVE metrics AS (
           (SELECT m.metric FROM measurements m WHERE m.sensor_id = $1 ORDER BY m.metric LIMIT 1)
           UNION ALL
           SELECT (SELECT m.metric FROM measurements m
                    WHERE m.sensor_id = $1 AND m.metric > metrics.metric ORDER BY m.metric LIMIT 1)
             FROM metrics WHERE metrics.metric IS NOT NULL)
         SELECT metric FROM metrics WHERE metric IS NOT NULL`,
  values: [sensorId],
});

/** Where bucketed rows come from: the raw table, or a TimescaleDB continuous aggregate of a coarser width. */
export type Source = { kind: "raw" } | { kind: "rollup"; view: string };

const RAW_AGG: Record<Agg, string> = {
  avg: "avg(value)",
  min: "min(value)",
  max: "max(value)",
  sum: "sum(value)",
  count: "count(*)::int",
  first: "(array_agg(value ORDER BY time))[1]",
  last: "(array_agg(value ORDER BY time DESC))[1]",
};

/** The same aggregates recombined from rollup rows (min, max, avg, count per finer bucket). */
const ROLLUP_AGG: Partial<Record<Agg, string>> = {
  avg: "sum(avg * count) / sum(count)",
  min: "min(min)",
  max: "max(max)",
  sum: "sum(avg * count)",
  count: "sum(count)::int",
};

export type BucketQuery = {
  sensorIds: readonly string[];
  /** undefined: every metric with data in the range */
  metrics: readonly string[] | undefined;
  /** Without `metrics`: the metrics to read (all the sensors have), so the primary key bounds the time range too. */
  filterMetrics?: readonly string[];
  from: string;
  to: string;
  bucketSeconds: number;
  aggs: readonly Agg[];
  fill: Fill;
  source: Source;
};

/**
 * One row per bucket and series (sensor, metric) over [from, to), ordered by time, sensor, metric. Buckets are
 * date_bin(width, time, epoch): aligned to 1970-01-01T00:00:00Z whatever the server's or client's time zone.
 * Empty buckets: absent (none), or present (null, previous, linear) for every series — the named metrics of the
 * named sensors, or the series with data in the range when no metrics are named. Their `count` is 0 (no reading);
 * their other aggregates are null, the last non-empty bucket's (previous), or interpolated in time between the
 * neighbouring non-empty buckets (linear); with no neighbour on a side they stay null.
 */
export function bucketSql(q: BucketQuery): Sql {
  const values: unknown[] = [q.sensorIds, q.from, q.to, `${q.bucketSeconds} seconds`];
  const filter = q.metrics ?? q.filterMetrics;
  if (filter) values.push(filter);
  const metricFilter = filter ? "AND metric = ANY($5::text[])" : "";
  const exprs = q.source.kind === "raw" ? RAW_AGG : ROLLUP_AGG;
  const selectAggs = q.aggs
    .map((a) => {
      const e = exprs[a];
      if (e === undefined) throw new Error(`a rollup cannot answer ${a}`);
      return `${e} AS "${a}"`;
    })
    .join(", ");
  // GROUP BY series first, bucket last: PostgreSQL then hashes (one row per bucket is its estimate for date_bin,
  // and with the bucket first it sorts every raw row instead).
  const agg =
    q.source.kind === "raw"
      ? `SELECT date_bin($4::interval, time, ${EPOCH}) AS t, ${BYTES("sensor_id")}, ${BYTES("metric")}, ${selectAggs}
           FROM measurements
          WHERE sensor_id = ANY($1::text[]) AND time >= $2::timestamptz AND time < $3::timestamptz ${metricFilter}
          GROUP BY 2, 3, 1`
      : `SELECT date_bin($4::interval, bucket, ${EPOCH}) AS t, ${BYTES("sensor_id")}, ${BYTES("metric")}, ${selectAggs}
           FROM ${q.source.view}
          WHERE sensor_id = ANY($1::text[]) AND bucket >= $2::timestamptz AND bucket < $3::timestamptz ${metricFilter}
          GROUP BY 2, 3, 1`;
  const out = (cols: string) =>
    `SELECT ${isoMicros("t")} AS time, sensor_id, metric, ${cols} FROM filled ORDER BY t, sensor_id COLLATE "C", metric COLLATE "C"`;
  if (q.fill === "none") {
    return {
      text: `WITH filled AS (${agg}) ${out(q.aggs.map((a) => `"${a}"`).join(", "))}`,
      values,
    };
  }
  const series = q.metrics
    ? "SELECT s, m FROM unnest($1::text[]) s CROSS JOIN unnest($5::text[]) m"
    : "SELECT DISTINCT sensor_id AS s, metric AS m FROM agg";
  const grid = `SELECT generate_series(date_bin($4::interval, $2::timestamptz, ${EPOCH}),
                                       $3::timestamptz - interval '1 microsecond', $4::interval) AS t`;
  const joined = `SELECT g.t, s.s AS sensor_id, s.m AS metric, a.t AS at, ${q.aggs.map((x) => `a."${x}"`).join(", ")}
                    FROM grid g CROSS JOIN series s
                    LEFT JOIN agg a ON a.t = g.t AND a.sensor_id = s.s AND a.metric = s.m`;
  const filled = fillSelect(q.fill, q.aggs);
  return {
    text: `WITH agg AS (${agg}), series AS (${series}), grid AS (${grid}), joined AS (${joined}),
                grouped AS (
                  SELECT j.*,
                         count(j.at) OVER (PARTITION BY sensor_id, metric ORDER BY t) AS fwd,
                         count(j.at) OVER (PARTITION BY sensor_id, metric ORDER BY t DESC) AS back
                    FROM joined j),
                filled AS (${filled})
           ${out(q.aggs.map((a) => `"${a}"`).join(", "))}`,
    values,
  };
}

/**
 * Rows of `grouped`: `fwd` numbers the runs that start at a non-empty bucket (so the run's first row is the last
 * value before an empty bucket), `back` the runs that end at one, read backwards (the next value after it).
 */
function fillSelect(fill: Exclude<Fill, "none">, aggs: readonly Agg[]): string {
  const prev = (c: string) => `first_value(${c}) OVER (PARTITION BY sensor_id, metric, fwd ORDER BY t)`;
  const next = (c: string) => `first_value(${c}) OVER (PARTITION BY sensor_id, metric, back ORDER BY t DESC)`;
  const byFill: Record<typeof fill, (c: string) => string> = {
    null: (c) => c,
    previous: (c) => `CASE WHEN at IS NOT NULL THEN ${c} ELSE ${prev(c)} END`,
    linear: (c) => `CASE WHEN at IS NOT NULL THEN ${c}
                         ELSE ${prev(c)} + (${next(c)} - ${prev(c)})
                              * extract(epoch FROM t - ${prev("at")}) / extract(epoch FROM ${next("at")} - ${prev("at")})
                    END`,
  };
  // An empty bucket holds no reading: its count is 0 whatever the fill.
  const cols = aggs.map((a) =>
    a === "count" ? `coalesce("count", 0) AS "count"` : `${byFill[fill](`"${a}"`)} AS "${a}"`,
  );
  return `SELECT t, sensor_id, metric, ${cols.join(", ")} FROM grouped`;
}

/** One sensor's positions in [from, to) after `after` (exclusive), in time order: a range scan of (sensor_id, time). */
export function trackSql(q: {
  sensorId: string;
  from: string;
  to: string;
  after: string | undefined;
  limit: number;
}): Sql {
  return {
    text: `SELECT ${isoMicros("time")} AS time, lat, lon FROM positions
            WHERE sensor_id = $1 AND time >= $2::timestamptz AND time < $3::timestamptz AND time > $4::timestamptz
            ORDER BY time LIMIT $5`,
    values: [q.sensorId, q.from, q.to, q.after ?? "-infinity", q.limit],
  };
}

/** Sensors of a type, in id order after `after`, `limit` of them (the registry's table; the API reads everything). */
export const sensorsOfTypeSql = (type: string, after: string, limit: number): Sql => ({
  text: "SELECT id FROM sensors WHERE type = $1 AND id > $2 ORDER BY id LIMIT $3",
  values: [type, after, limit],
});
