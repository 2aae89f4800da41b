import { describe, expect, it } from "vitest";
import { BatchLookup } from "./batch-lookup.js";

/** A hand-written load: records each call's keys, answers `v:<key>` except for keys starting with "missing". */
function recordingLoad() {
  const calls: string[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const load = async (keys: readonly string[]) => {
    calls.push([...keys]);
    if (hold) await new Promise<void>((r) => (release = r));
    return new Map(keys.filter((k) => !k.startsWith("missing")).map((k) => [k, `v:${k}`]));
  };
  return {
    calls,
    load,
    holdNext: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe("BatchLookup", () => {
  it("answers keys asked for in one tick with one load", async () => {
    const l = recordingLoad();
    const lookup = new BatchLookup(l.load);
    const got = await Promise.all(["a", "b", "missing-c", "a"].map((k) => lookup.get(k)));
    expect(got).toEqual(["v:a", "v:b", undefined, "v:a"]);
    expect(l.calls).toEqual([["a", "b", "missing-c"]]);
  });

  it("collects the keys asked for while a load runs into the next one", async () => {
    const l = recordingLoad();
    const lookup = new BatchLookup(l.load);
    l.holdNext();
    const first = lookup.get("a");
    await Promise.resolve();
    const later = [lookup.get("b"), lookup.get("c")];
    await new Promise((r) => setTimeout(r, 5));
    expect(l.calls).toEqual([["a"]]);
    l.release();
    expect(await first).toBe("v:a");
    expect(await Promise.all(later)).toEqual(["v:b", "v:c"]);
    expect(l.calls).toEqual([["a"], ["b", "c"]]);
  });

  it("splits more than maxKeys into several loads", async () => {
    const l = recordingLoad();
    const lookup = new BatchLookup(l.load, 2);
    const got = await Promise.all(["a", "b", "c", "d", "e"].map((k) => lookup.get(k)));
    expect(got).toEqual(["v:a", "v:b", "v:c", "v:d", "v:e"]);
    expect(l.calls).toEqual([["a", "b"], ["c", "d"], ["e"]]);
  });

  it("rejects the lookups of a failed load and serves the next ones", async () => {
    let fail = true;
    const lookup = new BatchLookup(async (keys) => {
      if (fail) throw new Error("database down");
      return new Map(keys.map((k) => [k, k.length]));
    });
    await expect(Promise.all([lookup.get("a"), lookup.get("bb")])).rejects.toThrow("database down");
    fail = false;
    expect(await lookup.get("ccc")).toBe(3);
  });
});
