import type { BatchRows } from "../core/batch-rows.js";

/**
 * The one statement a batch is written with: its columns arrive as binary arrays ($n, see core/binary-array.ts) and
 * every table is written by a data-modifying CTE, so the whole write is one round trip and one (autocommit)
 * transaction: no BEGIN/COMMIT, no COPY sub-protocol, no connection idling in a transaction while the event loop is
 * busy. Variants per batch shape (readings, positions, both), each strict (a stored row fails the statement with a
 * unique violation and nothing of it stays) or tolerant (ON CONFLICT DO NOTHING: the rows that exist are skipped and
 * counted). Each variant is a named statement: parsed and planned once per connection.
 */

type Shape = { measurements: boolean; positions: boolean; tolerant: boolean };
type WriteStatement = { name: string; text: string };

const params = (from: number, types: readonly string[]) => types.map((t, i) => `$${from + i}::${t}[]`).join(", ");

/** A table written from `unnest` of its columns' arrays, in column order. */
type Table = { name: string; columns: string; key: string; types: readonly string[] };
const MEASUREMENTS: Table = {
  name: "measurements",
  columns: "time, sensor_id, metric, value",
  key: "sensor_id, metric, time",
  types: ["timestamptz", "text", "text", "float8"],
};
const POSITIONS: Table = {
  name: "positions",
  columns: "time, sensor_id, lat, lon",
  key: "sensor_id, time",
  types: ["timestamptz", "text", "float8", "float8"],
};

const insert = (t: Table, from: number, tolerant: boolean) =>
  `INSERT INTO ${t.name} (${t.columns})
  SELECT * FROM unnest(${params(from, t.types)})${tolerant ? `\n  ON CONFLICT (${t.key}) DO NOTHING` : ""}
  RETURNING 1`;

/**
 * The newest value per series (one element per series: ON CONFLICT DO UPDATE may touch a row once per statement).
 * ORDER BY the key: rows are upserted in key order, so two concurrent batches lock shared rows in the same order (no
 * deadlock); the `time >` guard means a replay or an older, late batch never moves a series backwards (an equal time
 * keeps the stored value, as the readings table does).
 */
const upsertLatest = (from: number) =>
  `INSERT INTO measurements_latest AS l (sensor_id, metric, time, value)
  SELECT * FROM unnest(${params(from, ["text", "text", "timestamptz", "float8"])}) AS b(sensor_id, metric, time, value)
   ORDER BY sensor_id, metric
  ON CONFLICT (sensor_id, metric) DO UPDATE SET time = excluded.time, value = excluded.value
   WHERE excluded.time > l.time`;

function build(s: Shape): WriteStatement {
  const ctes: string[] = [];
  if (s.measurements) ctes.push(`m AS (${insert(MEASUREMENTS, 1, s.tolerant)})`, `l AS (${upsertLatest(5)})`);
  if (s.positions) ctes.push(`p AS (${insert(POSITIONS, s.measurements ? 9 : 1, s.tolerant)})`);
  const count = (cte: string, present: boolean) => (present ? `(SELECT count(*) FROM ${cte})::int` : "0");
  const name = `ingest_${s.measurements ? "m" : ""}${s.positions ? "p" : ""}_${s.tolerant ? "tolerant" : "strict"}`;
  const text = `WITH ${ctes.join(",\n")}
SELECT ${count("m", s.measurements)} AS measurements, ${count("p", s.positions)} AS positions`;
  return { name, text };
}

const built = new Map<string, WriteStatement>();

/** The statement for a batch shape, built once. */
function writeStatement(s: Shape): WriteStatement {
  const key = `${s.measurements}${s.positions}${s.tolerant}`;
  let st = built.get(key);
  if (st === undefined) {
    st = build(s);
    built.set(key, st);
  }
  return st;
}

/**
 * The query that writes a batch that has rows: the statement for its shape and the parameters in the statement's
 * order (readings' columns and the latest values' columns when it has readings, then the positions' columns).
 */
export function writeQuery(rows: BatchRows, tolerant: boolean): WriteStatement & { values: Buffer[] } {
  const measurements = rows.measurements > 0;
  const positions = rows.positions > 0;
  const values: Buffer[] = [];
  if (measurements) values.push(...rows.measurementColumns, ...rows.latestColumns);
  if (positions) values.push(...rows.positionColumns);
  return { ...writeStatement({ measurements, positions, tolerant }), values };
}
