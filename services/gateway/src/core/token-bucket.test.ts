import { describe, expect, it } from "vitest";
import { type Bucket, takeToken } from "./token-bucket.js";

describe("takeToken", () => {
  it("allows a burst of twice the rate, then refills at the rate", () => {
    let b: Bucket | undefined;
    const results: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const r = takeToken(b, 1_000, 2);
      b = r.bucket;
      results.push(r.ok);
    }
    expect(results).toEqual([true, true, true, true, false]);
    expect(takeToken(b, 1_400, 2).ok).toBe(false);
    expect(takeToken(b, 1_500, 2).ok).toBe(true);
  });
});
