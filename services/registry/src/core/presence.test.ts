import { describe, expect, it } from "vitest";
import {
  initialPresence,
  MAX_SILENT_AFTER_S,
  nextPresence,
  type PresenceEvent,
  type SensorPresence,
  silentAfterS,
} from "./presence.js";

const policy = { silentFloorS: 30, silentIntervals: 5 };
const S = 1_000_000;
const run = (events: PresenceEvent[], from: SensorPresence = initialPresence()) => {
  let s = from;
  const transitions: string[] = [];
  for (const e of events) {
    const r = nextPresence(s, e, policy);
    s = r.state;
    if (r.transition) transitions.push(`${r.transition.from}->${r.transition.to}:${r.transition.reason}`);
  }
  return { s, transitions };
};

describe("presence", () => {
  it("goes online on birth and offline on the Last Will", () => {
    const { s, transitions } = run([
      { type: "status", us: 1 * S, state: "online", mode: "awake", sampleHz: 10 },
      { type: "status", us: 2 * S, state: "offline" },
    ]);
    expect(transitions).toEqual(["offline->online:status_online", "online->offline:status_offline"]);
    expect(s).toMatchObject({ presence: "offline", mode: "awake", sampleHz: 10 });
  });

  it("an asleep sensor is not offline when it disconnects, and wakes when it says so", () => {
    const { s, transitions } = run([
      { type: "status", us: 1 * S, state: "online", mode: "awake" },
      { type: "status", us: 2 * S, state: "online", mode: "asleep" },
      { type: "activity", us: 2 * S + 5 },
      { type: "connection", us: 3 * S, connected: false },
      { type: "status", us: 4 * S, state: "offline" },
      { type: "tick", us: 1000 * S },
      { type: "activity", us: 1001 * S },
      { type: "status", us: 1002 * S, state: "online", mode: "awake" },
    ]);
    expect(transitions).toEqual([
      "offline->online:status_online",
      "online->asleep:status_online",
      "asleep->online:status_online",
    ]);
    expect(s.mode).toBe("awake");
  });

  it("ignores late and duplicate status events", () => {
    const { s, transitions } = run([
      { type: "status", us: 5 * S, state: "online" },
      { type: "status", us: 7 * S, state: "offline" },
      { type: "status", us: 6 * S, state: "online" }, // arrived late: older than the offline
      { type: "status", us: 7 * S, state: "offline" }, // duplicate
    ]);
    expect(transitions).toEqual(["offline->online:status_online", "online->offline:status_offline"]);
    expect(s.presence).toBe("offline");
    expect(nextPresence(s, { type: "status", us: 6 * S, state: "online" }, policy).stale).toBe(true);
  });

  it("late activity does not revive a sensor that went offline after it", () => {
    const { s } = run([
      { type: "status", us: 1 * S, state: "online" },
      { type: "status", us: 10 * S, state: "offline" },
      { type: "activity", us: 9 * S },
    ]);
    expect(s.presence).toBe("offline");
    expect(s.lastSeenUs).toBe(9 * S);
  });

  it("becomes silent after several of its own intervals, never before the floor, and recovers on data", () => {
    expect(silentAfterS(10, policy)).toBe(30);
    expect(silentAfterS(0.01, policy)).toBe(500);
    expect(silentAfterS(null, policy)).toBe(30);
    const slow = run([
      { type: "status", us: 0, state: "online", sampleHz: 0.01 },
      { type: "activity", us: 1 * S },
      { type: "tick", us: 400 * S },
    ]);
    expect(slow.s.presence).toBe("online");
    const { s, transitions } = run([
      { type: "status", us: 0, state: "online", sampleHz: 10 },
      { type: "activity", us: 1 * S },
      { type: "tick", us: 30 * S },
      { type: "tick", us: 32 * S },
      { type: "activity", us: 33 * S },
    ]);
    expect(transitions).toEqual(["offline->online:status_online", "online->silent:no_data", "silent->online:activity"]);
    expect(s.presence).toBe("online");
  });

  it("never calls an asleep or offline sensor silent", () => {
    const asleep = run([
      { type: "status", us: 0, state: "online", mode: "asleep" },
      { type: "tick", us: 10_000 * S },
    ]);
    expect(asleep.s.presence).toBe("asleep");
    const offline = run([
      { type: "status", us: 0, state: "offline" },
      { type: "tick", us: 10_000 * S },
    ]);
    expect(offline.s.presence).toBe("offline");
  });

  it("the silence interval is positive and bounded whatever rate was stored", () => {
    for (const hz of [1e-300, 0, -5, Number.NaN, Number.POSITIVE_INFINITY, null]) {
      const s = silentAfterS(hz, policy);
      expect(s).toBeGreaterThanOrEqual(policy.silentFloorS);
      expect(s).toBeLessThanOrEqual(MAX_SILENT_AFTER_S);
    }
    expect(silentAfterS(1e-300, policy)).toBe(MAX_SILENT_AFTER_S);
    const { s } = run([
      { type: "status", us: 0, state: "online", sampleHz: 1e-300 },
      { type: "tick", us: (MAX_SILENT_AFTER_S + 1) * S },
    ]);
    expect(s.presence).toBe("silent");
  });

  it("a connect without a birth message counts as online", () => {
    expect(run([{ type: "connection", us: S, connected: true }]).s.presence).toBe("online");
  });
});

describe("presence ordered by connection", () => {
  const C1 = 100 * S;
  const C2 = 200 * S;

  it("a Last Will of an older connection, reported late by another replica, does not mark a reconnected sensor offline", () => {
    const { s, transitions } = run([
      { type: "connection", us: C1, connected: true, connectedUs: C1 },
      { type: "connection", us: C2, connected: true, connectedUs: C2 },
      // gateway A noticed the dead socket only after its keepalive expired: a later receive time
      { type: "connection", us: C2 + 30 * S, connected: false, connectedUs: C1 },
      { type: "status", us: C2 + 31 * S, state: "offline", connectedUs: C1 },
    ]);
    expect(transitions).toEqual(["offline->online:connected"]);
    expect(s).toMatchObject({ presence: "online", connectedUs: C2 });
  });

  it("reports each stale event as stale", () => {
    const { s } = run([{ type: "connection", us: C2, connected: true, connectedUs: C2 }]);
    const r = nextPresence(s, { type: "status", us: C2 + S, state: "offline", connectedUs: C1 }, policy);
    expect(r).toMatchObject({ stale: true, transition: undefined });
  });

  it("a newer connection wins even when its gateway's clock is behind", () => {
    const { s } = run([
      { type: "status", us: C1 + 50 * S, state: "offline", connectedUs: C1 },
      // replica B's clock runs 60 s behind A's: its connect has an older receive time but a newer connection
      { type: "connection", us: C1 + 10 * S, connected: true, connectedUs: C1 + 10 * S },
      { type: "status", us: C1 + 11 * S, state: "online", mode: "awake", connectedUs: C1 + 10 * S },
    ]);
    expect(s).toMatchObject({ presence: "online", connectedUs: C1 + 10 * S, statusUs: C1 + 11 * S });
  });

  it("the disconnect of the current connection still applies, and events of one connection order by receive time", () => {
    const { s, transitions } = run([
      { type: "connection", us: C2, connected: true, connectedUs: C2 },
      { type: "status", us: C2 + 2 * S, state: "offline", connectedUs: C2 },
      { type: "status", us: C2 + S, state: "online", connectedUs: C2 }, // late birth of the same connection
    ]);
    expect(transitions).toEqual(["offline->online:connected", "online->offline:status_offline"]);
    expect(s.presence).toBe("offline");
  });

  it("a late connect of an older connection is stale, and a later one opens a new connection", () => {
    const { s } = run([
      { type: "connection", us: C2, connected: true, connectedUs: C2 },
      { type: "connection", us: C2 + S, connected: false, connectedUs: C2 },
      { type: "connection", us: C2 + 2 * S, connected: true, connectedUs: C1 },
    ]);
    expect(s.presence).toBe("offline");
    const back = nextPresence(
      s,
      { type: "connection", us: C2 + 3 * S, connected: true, connectedUs: C2 + 3 * S },
      policy,
    );
    expect(back.state).toMatchObject({ presence: "online", connectedUs: C2 + 3 * S });
  });

  it("messages without connected_at fall back to receive time; a connect without it opened at its receive time", () => {
    const legacy = run([
      { type: "connection", us: C1, connected: true },
      { type: "connection", us: C1 + 5 * S, connected: false },
      { type: "status", us: C1 + 4 * S, state: "online" }, // older by receive time
    ]);
    expect(legacy.s).toMatchObject({ presence: "offline", connectedUs: C1 });
    // an old-style Last Will (no connected_at) received after a new connection still applies: receive time
    const mixed = run([
      { type: "connection", us: C2, connected: true, connectedUs: C2 },
      { type: "status", us: C2 + S, state: "offline" },
    ]);
    expect(mixed.s.presence).toBe("offline");
    // …and one received before it is stale
    expect(nextPresence(mixed.s, { type: "status", us: C2 - S, state: "online" }, policy).stale).toBe(true);
  });
});
