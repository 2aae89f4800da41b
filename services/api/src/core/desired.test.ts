import { describe, expect, it } from "vitest";
import { desiredOf } from "./desired.js";

describe("desiredOf", () => {
  it("maps each command to the setting it changes, leaving the others alone", () => {
    expect(desiredOf("sleep", {})).toStrictEqual({ mode: "asleep" });
    expect(desiredOf("awake", {})).toStrictEqual({ mode: "awake" });
    expect(desiredOf("change_sample_frequency", { hz: 2.5 })).toStrictEqual({ sample_hz: 2.5 });
  });
});
