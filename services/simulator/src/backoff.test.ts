import { describe, expect, it } from "vitest";
import { notConnectedReason, reconnectDelayMs } from "./backoff.js";

const policy = { baseMs: 1000, maxMs: 60_000 };

describe("reconnect backoff", () => {
  it("doubles per failure from half a step (no jitter drawn) to a whole step (the most drawn), up to the cap", () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => reconnectDelayMs(n, low, policy))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => reconnectDelayMs(n, high, policy))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(reconnectDelayMs(10_000, high, policy)).toBe(60_000);
    expect(reconnectDelayMs(0, low, policy)).toBe(500);
  });

  it("spreads a fleet refused at once: the retries of 1,000 sensors do not come back together", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    const delays = Array.from({ length: 1000 }, () => reconnectDelayMs(4, random, policy));
    const perSecond = new Map<number, number>();
    for (const d of delays) perSecond.set(Math.floor(d / 1000), (perSecond.get(Math.floor(d / 1000)) ?? 0) + 1);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(4000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(8000);
    // Four one-second slots; none gets much more than its quarter.
    for (const n of perSecond.values()) expect(n).toBeLessThan(350);
  });

  it("names why a connection failed: the CONNACK code of a refusal, the errno of an unreachable broker", () => {
    const refused = (code: number) => Object.assign(new Error("Connection refused"), { code });
    expect(notConnectedReason(refused(3))).toBe(
      "refused: server unavailable (rate limit, connection cap or store down)",
    );
    expect(notConnectedReason(refused(4))).toBe("refused: bad credentials");
    expect(notConnectedReason(refused(5))).toBe("refused: not authorized");
    expect(notConnectedReason(refused(2))).toBe("refused: client id rejected");
    expect(notConnectedReason(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(
      "unreachable",
    );
    expect(notConnectedReason(new Error("connack timeout"))).toBe("timed out");
    expect(notConnectedReason(new Error("socket hang up"))).toBe("connection lost");
  });
});
