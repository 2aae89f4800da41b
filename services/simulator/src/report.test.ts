import { describe, expect, it } from "vitest";
import type { FleetStats } from "./options.js";
import { exitCodeFor, formatProgress, formatSummary } from "./report.js";

const stats = (over: Partial<FleetStats>): FleetStats => ({
  sensors: 10,
  connected: 10,
  messages_sent: 0,
  messages_acked: 0,
  readings_sent: 0,
  readings_acked: 0,
  values_acked: 0,
  positions_acked: 0,
  publish_errors: 0,
  connect_errors: 0,
  asleep: 0,
  commands_received: 0,
  acks_ok: 0,
  acks_error: 0,
  commands_ignored: 0,
  commands_malformed: 0,
  last_error: null,
  not_connected: {},
  started_at: "2026-11-23T08:00:00.000000Z",
  elapsed_s: 0,
  readings_per_s: 0,
  ...over,
});

describe("report", () => {
  it("shows progress with the rate over the last interval", () => {
    const a = stats({ elapsed_s: 5, readings_sent: 5000, readings_acked: 4990 });
    const b = stats({ elapsed_s: 10, readings_sent: 12000, readings_acked: 11990 });
    expect(formatProgress(undefined, a)).toBe("sent 5000 readings (1000/s), acked 4990, 10/10 connected");
    expect(formatProgress(a, b)).toBe("sent 12000 readings (1400/s), acked 11990, 10/10 connected");
    expect(
      formatProgress(b, {
        ...b,
        connected: 9,
        publish_errors: 2,
        last_error: "sim-03: connect ECONNREFUSED",
        not_connected: { unreachable: 1 },
      }),
    ).toBe(
      "sent 12000 readings (0/s), acked 11990, 9/10 connected, 2 publish errors; not connected: 1 unreachable " +
        "(retrying with backoff); last error: sim-03: connect ECONNREFUSED",
    );
  });

  it("says why sensors are not connected, the most common reason first", () => {
    const s = stats({
      connected: 4,
      not_connected: {
        "refused: bad credentials": 1,
        "refused: server unavailable (rate limit, connection cap or store down)": 3,
      },
    });
    expect(formatProgress(undefined, s)).toBe(
      "sent 0 readings (0/s), acked 0, 4/10 connected; not connected: " +
        "3 refused: server unavailable (rate limit, connection cap or store down), 1 refused: bad credentials, " +
        "2 not tried yet or connecting (retrying with backoff)",
    );
  });

  it("says how many sensors are asleep and what became of the commands", () => {
    const s = stats({ elapsed_s: 5, readings_sent: 50, readings_acked: 50, asleep: 3 });
    expect(formatProgress(undefined, s)).toBe("sent 50 readings (10/s), acked 50, 10/10 connected, 3 asleep");
    const c = { ...s, commands_received: 7, acks_ok: 4, acks_error: 2, commands_ignored: 1 };
    expect(formatProgress(undefined, c)).toBe(
      "sent 50 readings (10/s), acked 50, 10/10 connected, 3 asleep; commands: 7 received, 4 acked ok, 2 acked error, 1 ignored",
    );
  });

  it("exits 0 only when everything sent was acked", () => {
    const ok = stats({ messages_sent: 3, messages_acked: 3, readings_sent: 9, readings_acked: 9 });
    expect(exitCodeFor(ok)).toBe(0);
    expect(exitCodeFor({ ...ok, readings_acked: 8 })).toBe(1);
    expect(exitCodeFor({ ...ok, publish_errors: 1 })).toBe(1);
    expect(exitCodeFor(stats({}))).toBe(1);
    expect(formatSummary({ ...ok, readings_acked: 8 })).toContain("1 readings NOT acked");
  });
});
