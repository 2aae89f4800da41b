import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";

const max = { seconds: 366 * 86_400, text: "366d" };

describe("parseDuration", () => {
  it.each([
    ["90s", 90],
    ["15m", 900],
    ["12h", 43_200],
    ["1d", 86_400],
    ["30d", 2_592_000],
    ["2w", 1_209_600],
    ["366d", 366 * 86_400],
    ["007m", 420],
  ])("reads %s as %i seconds", (text, seconds) => {
    expect(parseDuration(text, max)).toEqual({ ok: true, seconds });
  });

  it.each(["", "30", "d", "1.5h", "1h30m", "-5m", "30D", " 30d", "30 d", "1y", "30days", "12345678s"])(
    "refuses %j and says how to write one",
    (text) => {
      const r = parseDuration(text, max);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain("e.g. 90s, 15m, 12h, 30d");
    },
  );

  it("refuses zero and windows beyond the maximum, naming it", () => {
    expect(parseDuration("0s", max)).toEqual({ ok: false, error: "the duration must be longer than zero" });
    expect(parseDuration("367d", max)).toEqual({ ok: false, error: '"367d" is longer than the maximum, 366d' });
    expect(parseDuration("53w", max).ok).toBe(false);
  });
});
