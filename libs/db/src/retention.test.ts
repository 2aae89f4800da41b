import { describe, expect, it } from "vitest";
import { retentionLockKey } from "./retention.js";

describe("retentionLockKey", () => {
  it("gives each table its own stable int4 key pair in the retention namespace", () => {
    const m = retentionLockKey("measurements");
    expect(retentionLockKey("measurements")).toStrictEqual(m);
    expect(m[0]).toBe(734_051);
    const keys = ["measurements", "positions", "sensor_logs"].map((t) => retentionLockKey(t)[1]);
    expect(new Set(keys).size).toBe(3);
    for (const k of keys) {
      expect(Number.isInteger(k)).toBe(true);
      expect(k).toBeGreaterThanOrEqual(-(2 ** 31));
      expect(k).toBeLessThan(2 ** 31);
    }
  });

  it("is FNV-1a over the UTF-8 name (a known vector), so every version of the code agrees", () => {
    // FNV-1a 32-bit of "a" is 0xe40c292c, as a signed int4.
    expect(retentionLockKey("a")).toStrictEqual([734_051, 0xe40c292c | 0]);
  });
});
