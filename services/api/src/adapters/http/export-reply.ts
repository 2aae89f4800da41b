import { PassThrough, type Readable } from "node:stream";
import type { FastifyReply } from "fastify";
import type { Sql } from "../pg/range-sql.js";
import type { ExportFormat, RangeStore } from "../pg/range-store.js";

const CONTENT_TYPE: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson",
};

/**
 * Streams an export as the answer: a CSV header line (or nothing for NDJSON), then the database's COPY output
 * as it arrives, with a file name for browsers and `curl -OJ`. Backpressure runs from the client's socket to
 * the database: the API holds a few chunks, never the range.
 */
export async function sendExport(
  reply: FastifyReply,
  store: RangeStore,
  o: { sql: Sql; columns: readonly string[]; format: ExportFormat; filename: string },
): Promise<FastifyReply> {
  const rows = await store.export(o.sql, o.columns, o.format);
  const body = new PassThrough({ highWaterMark: 64 * 1024 });
  if (o.format === "csv") body.write(`${o.columns.join(",")}\n`);
  pipeRows(rows, body);
  return reply
    .header("content-type", CONTENT_TYPE[o.format])
    .header("content-disposition", `attachment; filename="${o.filename}.${o.format === "csv" ? "csv" : "ndjson"}"`)
    .header("cache-control", "no-store")
    .send(body);
}

/** rows → body, ending the body with the rows; a failure mid-way aborts the answer (a truncated file is not a file). */
function pipeRows(rows: Readable, body: PassThrough): void {
  rows.pipe(body);
  rows.on("error", (err) => body.destroy(err));
  body.on("close", () => {
    if (!rows.readableEnded) rows.destroy();
  });
}

/** A file name from the query: letters, digits, dashes and underscores only (no quoting problems in the header). */
export const exportName = (...parts: string[]): string =>
  parts
    .join("_")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .slice(0, 150);
