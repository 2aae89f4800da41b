import { describe, expect, it } from "vitest";
import { chooseSource } from "./decide.js";

describe("npm start's choice of a backing service", () => {
  it.each([
    [true, true, "env"],
    [true, false, "env"],
    [false, true, "local"],
    [false, false, "embedded"],
  ] as const)("URL set %s, local answers %s: %s", (urlSet, local, source) => {
    expect(chooseSource(urlSet, local)).toBe(source);
  });
});
