import { describe, expect, it } from "vitest";
import { topicFilterProblem } from "./topic-filter.js";

describe("topicFilterProblem", () => {
  it.each(["alerts/#", "#", "alerts/+", "sensors/+/data", "sensors/crane-7/status", "+/+/#", "a//b"])(
    "accepts %s",
    (filter) => {
      expect(topicFilterProblem(filter)).toBeUndefined();
    },
  );

  it.each([
    ["", "cannot be empty"],
    ["$SYS/#", "cannot be granted"],
    ["alerts/#/x", "must be the last level"],
    ["alerts/a#", "must fill a whole level"],
    ["sensors/cr+ne/data", "must fill a whole level"],
    ["a\u0000b", "NUL"],
    ["x".repeat(257), "at most 256"],
  ])("refuses %j (%s)", (filter, why) => {
    expect(topicFilterProblem(filter)).toContain(why);
  });
});
