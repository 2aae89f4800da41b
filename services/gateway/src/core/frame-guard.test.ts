import { describe, expect, it } from "vitest";
import { FrameGuard } from "./frame-guard.js";

/** A packet header: type byte, then the remaining length as MQTT's variable-length integer. */
function header(type: number, length: number): Buffer {
  const out = [type << 4];
  let n = length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
const packet = (type: number, length: number) => Buffer.concat([header(type, length), Buffer.alloc(length)]);

describe("FrameGuard", () => {
  it("refuses a CONNECT announcing 256 MB from its first five bytes", () => {
    const g = new FrameGuard(1024, 512);
    expect(g.check(header(1, 256 * 1024 * 1024 - 1))).toMatch(/CONNECT of 268435455 bytes/);
  });

  it("follows packets across arbitrary chunk boundaries and refuses the first oversized one", () => {
    const stream = Buffer.concat([packet(1, 100), packet(3, 1000), packet(12, 0), packet(3, 1025)]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const g = new FrameGuard(1024, 512);
      let verdict: string | undefined;
      let at = 0;
      for (let i = 0; i < stream.length && verdict === undefined; i += size) {
        verdict = g.check(stream.subarray(i, i + size));
        at = i;
      }
      expect(verdict, `chunks of ${size}`).toMatch(/packet of 1025 bytes/);
      expect(at).toBeGreaterThanOrEqual(100 + 2 + 1000 + 3 + 2 - size);
    }
  });

  it("holds the first packet to the CONNECT limit and insists it is a CONNECT", () => {
    expect(new FrameGuard(1024, 512).check(header(1, 513))).toMatch(/limit is 512/);
    expect(new FrameGuard(1024, 512).check(packet(3, 10))).toMatch(/not a CONNECT/);
    expect(new FrameGuard(1024, 512).check(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff]))).toMatch(/malformed/);
    expect(new FrameGuard(1024, 512).check(Buffer.concat([packet(1, 512), packet(3, 1024)]))).toBeUndefined();
  });
});
