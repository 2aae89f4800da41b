import type { ChannelModel } from "amqplib";
import { describe, expect, it } from "vitest";
import { coalesceFrameWrites } from "./frame-writes.js";

/** A hand-written stand-in for amqplib's connection: a Mux whose pass writes three frames to `out`. */
function fakeModel() {
  const log: string[] = [];
  const out = {
    cork: () => log.push("cork"),
    uncork: () => log.push("uncork"),
    write: (s: string) => log.push(s),
  };
  const muxer = {
    out,
    _readIncoming(this: { out: typeof out }) {
      for (const f of ["a", "b", "c"]) this.out.write(f);
    },
  };
  return { model: { connection: { muxer } } as unknown as ChannelModel, muxer, log };
}

describe("coalesceFrameWrites", () => {
  it("corks the socket around one pass of the Mux", () => {
    const { model, muxer, log } = fakeModel();
    expect(coalesceFrameWrites(model)).toBe(true);
    muxer._readIncoming();
    expect(log).toStrictEqual(["cork", "a", "b", "c", "uncork"]);
  });

  it("uncorks even when the pass throws", () => {
    const { model, muxer, log } = fakeModel();
    muxer._readIncoming = () => {
      throw new Error("boom");
    };
    coalesceFrameWrites(model);
    expect(() => muxer._readIncoming()).toThrow("boom");
    expect(log).toStrictEqual(["cork", "uncork"]);
  });

  it("changes nothing and says so when amqplib has no such Mux", () => {
    expect(coalesceFrameWrites({} as ChannelModel)).toBe(false);
    expect(coalesceFrameWrites({ connection: { muxer: { out: {} } } } as unknown as ChannelModel)).toBe(false);
  });
});
