import { randomUUID } from "node:crypto";
import { formatMicros } from "@sensorstream/contracts";
import { describe, expect, it } from "vitest";
import {
  type AckPayload,
  behaviourFor,
  decideCommand,
  EXPIRED_ERROR,
  REMEMBERED_COMMANDS,
  remember,
  SIMULATED_FAILURE,
} from "./commands.js";

const NOW = 1_800_000_000_000_000;
const command = (name: string, args: Record<string, unknown> = {}, over: Record<string, unknown> = {}) => {
  const body = {
    command_id: randomUUID(),
    name,
    args,
    issued_at: formatMicros(NOW - 1_000_000),
    expires_at: formatMicros(NOW + 60_000_000),
    ...over,
  };
  return { id: body.command_id as string, payload: JSON.stringify(body) };
};
const none = new Map<string, AckPayload>();

describe("decideCommand", () => {
  it("acts on sleep, awake and change_sample_frequency and acks ok", () => {
    for (const [name, args, effect] of [
      ["sleep", {}, { kind: "sleep" }],
      ["awake", {}, { kind: "awake" }],
      ["change_sample_frequency", { hz: 5 }, { kind: "rate", hz: 5 }],
    ] as const) {
      const c = command(name, args);
      expect(decideCommand(name, c.payload, NOW, "obey", none)).toEqual({
        kind: "answer",
        ack: { command_id: c.id, status: "ok" },
        effect,
      });
    }
  });

  it.each([
    [{}, /args.hz must be a number > 0, got nothing/],
    [{ hz: 0 }, /args.hz must be a number > 0, got 0/],
    [{ hz: "5" }, /args.hz must be a number > 0, got "5"/],
    [{ hz: 1e9 }, /args.hz must be at most 100000/],
  ])("answers change_sample_frequency with %j with an error and no effect", (args, message) => {
    const c = command("change_sample_frequency", args);
    const d = decideCommand("change_sample_frequency", c.payload, NOW, "obey", none);
    if (d.kind !== "answer") throw new Error(d.kind);
    expect(d.effect).toBeUndefined();
    expect(d.ack.status).toBe("error");
    expect(d.ack.command_id).toBe(c.id);
    expect(d.ack.error).toMatch(message);
  });

  it("answers an expired command with error 'expired' and does not act", () => {
    const c = command("sleep", {}, { expires_at: formatMicros(NOW - 1) });
    expect(decideCommand("sleep", c.payload, NOW, "obey", none)).toEqual({
      kind: "answer",
      ack: { command_id: c.id, status: "error", error: EXPIRED_ERROR },
    });
  });

  it("answers invalid fields and a name that is not the topic's with an error naming the problem", () => {
    const bad = command("sleep", {}, { issued_at: "yesterday" });
    const d = decideCommand("sleep", bad.payload, NOW, "obey", none);
    expect(d).toMatchObject({ kind: "answer", ack: { command_id: bad.id, status: "error" } });
    if (d.kind === "answer") expect(d.ack.error).toMatch(/^issued_at: /);
    const other = command("awake");
    const m = decideCommand("sleep", other.payload, NOW, "obey", none);
    expect(m).toMatchObject({ kind: "answer", ack: { status: "error" } });
    if (m.kind === "answer") expect(m.ack.error).toMatch(/name 'awake' does not match the topic's 'sleep'/);
  });

  it("drops what it cannot acknowledge", () => {
    expect(decideCommand("sleep", "not json", NOW, "obey", none)).toEqual({
      kind: "malformed",
      error: "payload is not JSON",
    });
    expect(decideCommand("sleep", '{"command_id":"42"}', NOW, "obey", none).kind).toBe("malformed");
    expect(decideCommand("sleep", "[]", NOW, "obey", none).kind).toBe("malformed");
  });

  it("answers a resend with the same ack and no effect", () => {
    const c = command("change_sample_frequency", { hz: 2 });
    const answered = new Map<string, AckPayload>();
    const first = decideCommand("change_sample_frequency", c.payload, NOW, "obey", answered);
    if (first.kind !== "answer") throw new Error(first.kind);
    remember(answered, first.ack);
    expect(decideCommand("change_sample_frequency", c.payload, NOW, "obey", answered)).toEqual({
      kind: "duplicate",
      ack: { command_id: c.id, status: "ok" },
    });
  });

  it("fails or ignores as told", () => {
    const c = command("sleep");
    expect(decideCommand("sleep", c.payload, NOW, "fail", none)).toEqual({
      kind: "answer",
      ack: { command_id: c.id, status: "error", error: SIMULATED_FAILURE },
    });
    expect(decideCommand("sleep", c.payload, NOW, "ignore", none)).toEqual({ kind: "ignored" });
  });
});

describe("remember", () => {
  it("keeps the latest REMEMBERED_COMMANDS acks", () => {
    const answered = new Map<string, AckPayload>();
    const ids = Array.from({ length: REMEMBERED_COMMANDS + 1 }, () => randomUUID());
    for (const id of ids) remember(answered, { command_id: id, status: "ok" });
    expect(answered.size).toBe(REMEMBERED_COMMANDS);
    expect(answered.has(ids[0] ?? "")).toBe(false);
    expect(answered.has(ids[REMEMBERED_COMMANDS] ?? "")).toBe(true);
  });
});

describe("behaviourFor", () => {
  const count = (n: number, fail: number, ignore: number) => {
    const all = Array.from({ length: n }, (_, i) => behaviourFor(i, n, fail, ignore));
    return { fail: all.filter((b) => b === "fail").length, ignore: all.filter((b) => b === "ignore").length, all };
  };

  it("gives the requested shares, spread over the fleet", () => {
    expect(count(10, 0, 0)).toMatchObject({ fail: 0, ignore: 0 });
    expect(count(10, 0.2, 0.3)).toMatchObject({ fail: 2, ignore: 3 });
    expect(count(100, 0.25, 0.5)).toMatchObject({ fail: 25, ignore: 50 });
    expect(count(7, 1, 0)).toMatchObject({ fail: 7, ignore: 0 });
    expect(count(8, 0.5, 0.5)).toMatchObject({ fail: 4, ignore: 4 });
    expect(count(10, 0, 1)).toMatchObject({ fail: 0, ignore: 10 });
    // Spread, not bunched at one end.
    expect(count(10, 0.5, 0).all.slice(0, 5)).toContain("fail");
  });
});
