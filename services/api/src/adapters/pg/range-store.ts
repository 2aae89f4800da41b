import type { Readable } from "node:stream";
import type { Pool } from "@sensorstream/db";
import { to as copyTo } from "pg-copy-streams";
import { ROLLUPS, type RollupView } from "../../core/rollups.js";
import { metricsOfSensorSql, type Sql } from "./range-sql.js";

export type ExportFormat = "csv" | "ndjson";

/**
 * Runs the range queries: JSON pages through the pool, exports as a COPY … TO STDOUT stream. COPY takes no bind
 * parameters, so an export's values are written into the text as literals with the client's own escaping (every
 * one of them has been parsed and normalized by the route first). COPY hands rows over as fast as the socket
 * takes them and stops when it does not: the export's memory is a few chunks, whatever the range.
 */
export class RangeStore {
  constructor(private readonly pool: Pool) {}

  async rows<T>(sql: Sql): Promise<T[]> {
    return (await this.pool.query(sql.text, sql.values)).rows as T[];
  }

  async metricsOf(sensorId: string): Promise<string[]> {
    return (await this.rows<{ metric: string }>(metricsOfSensorSql(sensorId))).map((r) => r.metric);
  }

  /**
   * The rows of `sql` (only `columns`, in order) as CSV without a header or as one JSON object per line. The
   * returned stream owns a pool client until it ends, fails or is destroyed (a client that went away).
   */
  async export(sql: Sql, columns: readonly string[], format: ExportFormat): Promise<Readable> {
    const client = await this.pool.connect();
    let released = false;
    const release = (err?: Error) => {
      if (released) return;
      released = true;
      // A COPY cut short leaves the connection mid-protocol: destroy it rather than hand it to the next query.
      client.release(err ?? true);
    };
    try {
      const inner = inline(sql, (v) => literal(client, v));
      const cols = columns.map((c) => `q."${c}"`).join(", ");
      // JSON text never holds a raw control character, so CSV with \x01/\x02 as quote/delimiter writes it verbatim.
      const copy =
        format === "csv"
          ? `COPY (SELECT ${cols} FROM (${inner}) q) TO STDOUT (FORMAT csv)`
          : `COPY (SELECT json_build_object(${columns.map((c) => `'${c}', q."${c}"`).join(", ")})::text FROM (${inner}) q)
               TO STDOUT (FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')`;
      const stream = client.query(copyTo(copy));
      let done = false;
      stream.on("end", () => {
        done = true;
        released = true;
        client.release();
      });
      stream.on("error", (err) => release(err));
      stream.on("close", () => {
        if (!done) release(new Error("export stopped before its end"));
      });
      return stream;
    } catch (err) {
      release(err as Error);
      throw err;
    }
  }
}

type Escaper = { escapeLiteral(s: string): string };

function literal(client: Escaper, v: unknown): string {
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "string") return client.escapeLiteral(v);
  if (Array.isArray(v)) return `ARRAY[${v.map((x) => client.escapeLiteral(String(x))).join(", ")}]::text[]`;
  throw new Error(`cannot inline ${typeof v} into an export`);
}

/** `$n` placeholders replaced by literals (the builders never use `$` otherwise). */
function inline(sql: Sql, lit: (v: unknown) => string): string {
  return sql.text.replace(/\$([0-9]+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= sql.values.length) throw new Error(`placeholder $${n} has no value`);
    return lit(sql.values[i]);
  });
}

/**
 * The rollups this database has (TimescaleDB continuous aggregates; none on plain PostgreSQL), looked up on first
 * use and kept: migrations create them before any service starts, and a later migration means a restart.
 */
export class RollupCatalog {
  #known: Promise<ReadonlySet<RollupView>> | undefined;
  constructor(private readonly pool: Pool) {}

  available(): Promise<ReadonlySet<RollupView>> {
    this.#known ??= this.pool
      .query<{ view: RollupView }>("SELECT v AS view FROM unnest($1::text[]) v WHERE to_regclass(v) IS NOT NULL", [
        ROLLUPS.map((r) => r.view),
      ])
      .then((r) => new Set(r.rows.map((x) => x.view)))
      .catch((err: unknown) => {
        this.#known = undefined;
        throw err;
      });
    return this.#known;
  }
}
