import { describe, expect, it } from "vitest";
import { RetainedIndex, topicMatches } from "./retained-index.js";

const m = (filter: string, topic: string) => topicMatches(filter.split("/"), topic.split("/"));

describe("topicMatches (MQTT 3.1.1 4.7)", () => {
  it("matches literal levels, + for one level and # for the rest", () => {
    expect(m("sensors/a/status", "sensors/a/status")).toBe(true);
    expect(m("sensors/+/status", "sensors/a/status")).toBe(true);
    expect(m("sensors/+/status", "sensors/a/data")).toBe(false);
    expect(m("sensors/+", "sensors/a/status")).toBe(false);
    expect(m("sensors/#", "sensors/a/status")).toBe(true);
    expect(m("sensors/a/commands/#", "sensors/a/commands")).toBe(true);
    expect(m("sensors/a/commands/#", "sensors/a/commands/sleep")).toBe(true);
    expect(m("sensors/a/commands/#", "sensors/b/commands/sleep")).toBe(false);
    expect(m("#", "sensors/a")).toBe(true);
    expect(m("sensors/a/status", "sensors/a/status/x")).toBe(false);
    expect(m("sensors//x", "sensors//x")).toBe(true);
  });

  it("keeps $ topics out of wildcards in the first level", () => {
    expect(m("#", "$SYS/x")).toBe(false);
    expect(m("+/x", "$SYS/x")).toBe(false);
    expect(m("$SYS/#", "$SYS/x")).toBe(true);
  });
});

describe("RetainedIndex", () => {
  const packet = (topic: string) => ({ topic, payload: "p" });

  it("answers a filter with two literal levels from its prefix only, and others from all, each message once", () => {
    const index = new RetainedIndex<{ topic: string; payload: string }>();
    for (const t of ["sensors/a/status", "sensors/b/status", "sensors/a/commands/x", "other", "sensors/a"])
      index.store(packet(t), false);
    const topics = (filters: string[]) => [...index.matching(filters)].map((p) => p.topic).sort();
    expect(topics(["sensors/a/#"])).toEqual(["sensors/a", "sensors/a/commands/x", "sensors/a/status"]);
    expect(topics(["sensors/+/status"])).toEqual(["sensors/a/status", "sensors/b/status"]);
    expect(topics(["sensors/a/status", "sensors/+/status"])).toEqual(["sensors/a/status", "sensors/b/status"]);
    expect(topics(["#"])).toEqual([
      "other",
      "sensors/a",
      "sensors/a/commands/x",
      "sensors/a/status",
      "sensors/b/status",
    ]);
    expect(topics(["sensors/c/#"])).toEqual([]);
  });

  it("replaces a topic's message, and an empty payload clears it", () => {
    const index = new RetainedIndex<{ topic: string; payload: string }>();
    index.store({ topic: "sensors/a/status", payload: "1" }, false);
    index.store({ topic: "sensors/a/status", payload: "2" }, false);
    expect([...index.matching(["sensors/a/status"])].map((p) => p.payload)).toEqual(["2"]);
    index.store({ topic: "sensors/a/status", payload: "" }, true);
    expect([...index.matching(["sensors/a/#", "#"])]).toEqual([]);
    expect(index.size).toBe(0);
  });
});
