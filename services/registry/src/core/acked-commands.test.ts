import { describe, expect, it } from "vitest";
import { ackedAfterLastStatus } from "./acked-commands.js";

describe("ackedAfterLastStatus", () => {
  it("keeps ok acks, in order, unless a later status of the same sensor supersedes them", () => {
    const got = ackedAfterLastStatus([
      { kind: "ack", sensorId: "a", commandId: "c1", ok: true },
      { kind: "ack", sensorId: "b", commandId: "c2", ok: true },
      { kind: "status", sensorId: "a" },
      { kind: "ack", sensorId: "b", commandId: "c3", ok: false },
      { kind: "other" },
      { kind: "ack", sensorId: "a", commandId: "c4", ok: true },
    ]);
    expect(got).toStrictEqual([
      { sensorId: "b", commandId: "c2" },
      { sensorId: "a", commandId: "c4" },
    ]);
  });
});
