import { describe, expect, it } from "vitest";
import { topicMatches } from "./topic-match.js";

describe("topicMatches (RabbitMQ topic exchange rules)", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*.data", "sensor_a.data", true],
    ["*.data", "sensor_a.logs", false],
    ["*.data", "data", false],
    ["*.data", "a.b.data", false],
    ["*.commands.ack", "sensor_a.commands.ack", true],
    ["gateway.activity", "gateway.activity", true],
    ["gateway.activity", "gateway.activity.x", false],
    ["#", "", true],
    ["#", "a.b.c", true],
    ["a.#", "a", true],
    ["a.#", "a.b.c", true],
    ["#.c", "a.b.c", true],
    ["#.c", "c", true],
    ["a.#.c", "a.c", true],
    ["a.#.c", "a.x.y.c", true],
    ["a.#.c", "a.x.y.d", false],
    ["a.*.#", "a", false],
    ["a.*.#", "a.b", true],
    ["#.#", "a.b", true],
    ["*", "", true],
    ["*", "a.b", false],
  ];
  it.each(cases)("%s ~ %s -> %s", (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});
