import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { backoff, sleep } from "./index.js";

const take = (n: number, next: () => number) => Array.from({ length: n }, next);

describe("backoff", () => {
  it("starts at min and doubles its cap up to max (random = 1)", () => {
    const b = backoff(100, 5_000, () => 1);
    expect(take(9, () => b.next())).toStrictEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  });

  it("stays at min when random = 0", () => {
    const b = backoff(100, 5_000, () => 0);
    expect(take(10, () => b.next())).toStrictEqual(Array(10).fill(100));
  });

  it("spreads between min and the cap (full jitter)", () => {
    const b = backoff(100, 10_000, () => 0.5);
    expect(take(5, () => b.next())).toStrictEqual([100, 150, 250, 450, 850]);
  });

  it("reset starts over", () => {
    const b = backoff(50, 1_000, () => 1);
    expect(take(4, () => b.next())).toStrictEqual([50, 100, 200, 400]);
    b.reset();
    expect(take(3, () => b.next())).toStrictEqual([50, 100, 200]);
  });

  it("defaults to 100 ms .. 10 s", () => {
    const b = backoff(undefined, undefined, () => 1);
    const delays = take(12, () => b.next());
    expect(delays[0]).toBe(100);
    expect(delays.at(-1)).toBe(10_000);
  });

  it("stays within [min, min * 2^n capped at max], however long it runs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 80 }),
        (min, extra, randoms) => {
          const max = min + extra;
          let i = 0;
          const b = backoff(min, max, () => randoms[i++ % randoms.length] ?? 0);
          for (let n = 0; n < 100; n++) {
            const d = b.next();
            expect(Number.isInteger(d)).toBe(true);
            expect(d).toBeGreaterThanOrEqual(min);
            expect(d).toBeLessThanOrEqual(max);
            expect(d).toBeLessThanOrEqual(Math.max(min, Math.min(max, min * 2 ** n)));
          }
        },
      ),
    );
  });

  it("uses Math.random by default", () => {
    const spy = vi.spyOn(Math, "random").mockReturnValue(1);
    try {
      const b = backoff(10, 1_000);
      expect(take(3, () => b.next())).toStrictEqual([10, 20, 40]);
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("sleep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves after the delay", async () => {
    vi.useFakeTimers();
    let done = false;
    const p = sleep(1_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    await p;
  });

  it("resolves early on abort, and at once when already aborted", async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    let done = false;
    const p = sleep(60_000, ac.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    ac.abort();
    await p;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await sleep(60_000, ac.signal);
  });
});
