import type { Agg } from "./buckets.js";

/** TimescaleDB continuous aggregates the bucketed queries may read, finest first (see migrations 0004, 0009). */
export const ROLLUPS = [
  { view: "measurements_1h", seconds: 3_600 },
  { view: "measurements_1m", seconds: 60 },
] as const;
export type RollupView = (typeof ROLLUPS)[number]["view"];

/** What a rollup row keeps (min, max, avg, count per bucket) is enough for these; first and last need raw rows. */
const FROM_ROLLUP: ReadonlySet<Agg> = new Set(["avg", "min", "max", "sum", "count"]);

/**
 * The coarsest rollup that gives exactly the raw answer, or undefined (read the raw table): every bucket must be
 * a whole number of rollup buckets (its width a multiple, epoch-aligned both), the range must start and end on
 * rollup bucket boundaries (a rollup bucket cannot be cut), and every aggregate must be one a rollup keeps.
 */
export function chooseRollup(
  q: { bucketSeconds: number; fromUs: number; toUs: number; aggs: readonly Agg[] },
  available: ReadonlySet<RollupView>,
): RollupView | undefined {
  if (!q.aggs.every((a) => FROM_ROLLUP.has(a))) return undefined;
  for (const r of ROLLUPS) {
    const width = r.seconds * 1_000_000;
    if (!available.has(r.view) || q.bucketSeconds % r.seconds !== 0) continue;
    if (q.fromUs % width === 0 && q.toUs % width === 0) return r.view;
  }
  return undefined;
}
