import { describe, expect, it } from "vitest";
import { chooseRollup, type RollupView } from "./rollups.js";

const us = (iso: string) => Date.parse(iso) * 1000;
const both = new Set<RollupView>(["measurements_1m", "measurements_1h"]);
const day = { fromUs: us("2026-11-23T00:00:00Z"), toUs: us("2026-11-24T00:00:00Z") };

describe("choosing a rollup", () => {
  it("takes the coarsest rollup whose buckets tile the query's", () => {
    expect(chooseRollup({ ...day, bucketSeconds: 3600, aggs: ["avg"] }, both)).toBe("measurements_1h");
    expect(chooseRollup({ ...day, bucketSeconds: 86_400, aggs: ["min", "max", "count", "sum"] }, both)).toBe(
      "measurements_1h",
    );
    expect(chooseRollup({ ...day, bucketSeconds: 300, aggs: ["avg"] }, both)).toBe("measurements_1m");
    expect(chooseRollup({ ...day, bucketSeconds: 3600, aggs: ["avg"] }, new Set(["measurements_1m"]))).toBe(
      "measurements_1m",
    );
  });

  it("reads raw rows when a rollup would change the answer or cannot give it", () => {
    expect(chooseRollup({ ...day, bucketSeconds: 30, aggs: ["avg"] }, both)).toBeUndefined();
    expect(chooseRollup({ ...day, bucketSeconds: 90, aggs: ["avg"] }, both)).toBeUndefined();
    expect(chooseRollup({ ...day, bucketSeconds: 60, aggs: ["avg", "last"] }, both)).toBeUndefined();
    expect(chooseRollup({ ...day, bucketSeconds: 60, aggs: ["first"] }, both)).toBeUndefined();
    // a range that cuts a minute
    expect(
      chooseRollup({ fromUs: us("2026-11-23T00:00:30Z"), toUs: day.toUs, bucketSeconds: 60, aggs: ["avg"] }, both),
    ).toBeUndefined();
    // cuts an hour but not a minute: the 1-minute rollup still fits
    expect(
      chooseRollup({ fromUs: us("2026-11-23T00:30:00Z"), toUs: day.toUs, bucketSeconds: 3600, aggs: ["avg"] }, both),
    ).toBe("measurements_1m");
    expect(chooseRollup({ ...day, bucketSeconds: 3600, aggs: ["avg"] }, new Set())).toBeUndefined();
  });
});
