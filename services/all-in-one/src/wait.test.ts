import { describe, expect, it } from "vitest";
import { waitUntilReachable } from "./wait.js";

/** A clock that only moves when the waiter pauses. */
function fakeTime() {
  let now = 0;
  return {
    clock: () => now,
    pause: async (ms: number) => {
      now += ms;
    },
  };
}

const refusedUntil = (okAtMs: number, clock: () => number) => async () => {
  if (clock() < okAtMs) throw new Error("connect ECONNREFUSED 127.0.0.1:5432\nsecond line");
  return "exists" as const;
};

describe("waitUntilReachable", () => {
  it("retries until the server answers, saying what it waits for every 5 s", async () => {
    const t = fakeTime();
    const lines: string[] = [];
    const r = await waitUntilReachable({
      what: "PostgreSQL",
      where: "postgresql://localhost/x",
      attempt: refusedUntil(12_000, t.clock),
      limitMs: 60_000,
      say: (l) => lines.push(l),
      ...t,
    });
    expect(r).toStrictEqual({ ok: true, value: "exists" });
    expect(lines[0]).toBe(
      "waiting for PostgreSQL at postgresql://localhost/x (0 s): connect ECONNREFUSED 127.0.0.1:5432",
    );
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines.at(-1)).toMatch(/^waiting for PostgreSQL at postgresql:\/\/localhost\/x \((5|6|7|8|9|10|11|12) s\)/);
  });

  it("gives up after the limit with the last error", async () => {
    const t = fakeTime();
    const r = await waitUntilReachable({
      what: "RabbitMQ",
      where: "amqp://localhost",
      attempt: refusedUntil(Number.POSITIVE_INFINITY, t.clock),
      limitMs: 20_000,
      say: () => {},
      ...t,
    });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.waitedS).toBe(20);
      expect((r.error as Error).message).toMatch(/ECONNREFUSED/);
    }
  });

  it("gives up at once on an error waiting cannot fix", async () => {
    const t = fakeTime();
    let attempts = 0;
    const r = await waitUntilReachable({
      what: "PostgreSQL",
      where: "postgresql://localhost/x",
      attempt: async () => {
        attempts++;
        throw Object.assign(new Error("password authentication failed"), { code: "28P01" });
      },
      permanent: (err) => (err as { code?: string }).code === "28P01",
      limitMs: 60_000,
      say: () => {},
      ...t,
    });
    expect(r.ok).toBe(false);
    expect(attempts).toBe(1);
  });

  it("makes one attempt when the limit is 0", async () => {
    const t = fakeTime();
    let attempts = 0;
    const r = await waitUntilReachable({
      what: "RabbitMQ",
      where: "amqp://localhost",
      attempt: async () => {
        attempts++;
        throw new Error("refused");
      },
      limitMs: 0,
      say: () => {},
      ...t,
    });
    expect(r.ok).toBe(false);
    expect(attempts).toBe(1);
  });
});
