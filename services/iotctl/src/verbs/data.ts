import { type Command, Option } from "commander";
import { contextOf } from "../context.js";
import type { Io } from "../io.js";
import { type Column, table } from "../output.js";
import { positiveInt } from "./parse.js";
import { sensorId } from "./sensors.js";

/** The API's largest raw page; `readings` follows pages up to --limit. */
const PAGE = 10_000;
const FILLS = ["none", "null", "previous", "linear"] as const;

type RangeOptions = {
  from: string;
  to?: string;
  metrics?: string;
  bucket?: string;
  agg?: string;
  fill?: string;
};
type Item = Record<string, unknown> & { time: string; metric: string };

const rangeQuery = (o: RangeOptions) => ({
  from: o.from,
  to: o.to,
  metrics: o.metrics,
  bucket: o.bucket,
  agg: o.agg,
  fill: o.fill,
});

/** The range options shared by `readings` and `export`; the API checks the values and says what to change. */
function withRange(cmd: Command): Command {
  return cmd
    .argument("<id>", "sensor id", sensorId)
    .requiredOption("--from <time>", "start, RFC 3339 (inclusive)")
    .option("--to <time>", "end, RFC 3339 (exclusive; default now)")
    .option("--metrics <names>", "comma-separated metric names (default all)")
    .option("--bucket <width>", "bucket width, 1s to 1d (e.g. 1m, 5m, 1h)")
    .option("--agg <aggs>", "with --bucket: avg, min, max, sum, count, first, last, comma-separated (default avg)")
    .addOption(new Option("--fill <mode>", "with --bucket: what empty buckets become").choices(FILLS));
}

export function addDataVerbs(program: Command, io: Io): void {
  withRange(
    program
      .command("readings")
      .description("a sensor's readings over a range: raw (every page), or bucketed with --bucket"),
  )
    .option("--limit <n>", "raw: at most this many readings", positiveInt("--limit"))
    .action(async (id: string, o: RangeOptions & { limit?: number }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const path = `/sensors/${encodeURIComponent(id)}/measurements`;
      if (o.bucket) {
        const r = await ctx.api.request<{ items: Item[] }>("GET", path, { query: rangeQuery(o) });
        const aggs = (o.agg ?? "avg").split(",").map((a) => a.trim());
        const columns: Column<Item>[] = [
          { header: "TIME", value: (i) => i.time },
          { header: "METRIC", value: (i) => i.metric },
          ...aggs.map((a) => ({ header: a.toUpperCase(), value: (i: Item) => i[a] ?? "-" })),
        ];
        ctx.print(r.items, (rows) => table(columns, rows));
        return;
      }
      const found: Item[] = [];
      let after: string | null | undefined;
      do {
        const want = Math.min(PAGE, (o.limit ?? Number.POSITIVE_INFINITY) - found.length);
        const page = await ctx.api.request<{ items: Item[]; next_after: string | null }>("GET", path, {
          query: { ...rangeQuery(o), limit: want, after: after ?? undefined },
        });
        found.push(...page.items);
        after = page.next_after;
      } while (after && found.length < (o.limit ?? Number.POSITIVE_INFINITY));
      const columns: Column<Item>[] = [
        { header: "TIME", value: (i) => i.time },
        { header: "METRIC", value: (i) => i.metric },
        { header: "VALUE", value: (i) => i.value },
      ];
      ctx.print(found, (rows) => table(columns, rows));
      if (ctx.format === "table") ctx.say(`${found.length} reading(s)`);
    });

  withRange(
    program
      .command("export")
      .description("stream a sensor's whole range to stdout as CSV or NDJSON (raw, or bucketed with --bucket)"),
  )
    .addOption(new Option("--format <format>", "file format").choices(["csv", "ndjson"]).default("csv"))
    .action(async (id: string, o: RangeOptions & { format: string }, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const body = await ctx.api.download(`/sensors/${encodeURIComponent(id)}/measurements`, {
        ...rangeQuery(o),
        format: o.format,
      });
      const decoder = new TextDecoder();
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        io.stdout(decoder.decode(chunk, { stream: true }));
      }
      io.stdout(decoder.decode());
    });
}
