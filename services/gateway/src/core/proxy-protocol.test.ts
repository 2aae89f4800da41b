import { describe, expect, it } from "vitest";
import { parseProxyHeader } from "./proxy-protocol.js";

const v2 = (cmd: number, family: number, addr: number[]) => {
  const head = Buffer.from([
    0x0d,
    0x0a,
    0x0d,
    0x0a,
    0x00,
    0x0d,
    0x0a,
    0x51,
    0x55,
    0x49,
    0x54,
    0x0a,
    0x20 | cmd,
    family,
  ]);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(addr.length);
  return Buffer.concat([head, len, Buffer.from(addr)]);
};

describe("parseProxyHeader", () => {
  it("reads v1 TCP4/TCP6/UNKNOWN lines, and waits for the end of the line", () => {
    const line = Buffer.from("PROXY TCP4 203.0.113.7 10.0.0.1 51234 1883\r\n\x10\x0c");
    expect(parseProxyHeader(line)).toEqual({ state: "done", address: "203.0.113.7", length: line.length - 2 });
    expect(parseProxyHeader(Buffer.from("PROXY TCP6 2001:db8::1 ::1 1 2\r\n"))).toMatchObject({
      address: "2001:db8::1",
    });
    expect(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n"))).toMatchObject({ state: "done", address: undefined });
    expect(parseProxyHeader(Buffer.from("PROXY TCP4 203.0"))).toEqual({ state: "incomplete" });
    expect(parseProxyHeader(Buffer.from("PROXY TCP4 x\r\n"))).toMatchObject({ state: "invalid" });
  });

  it("reads v2 binary headers for IPv4 and IPv6, and LOCAL as no address", () => {
    const ipv4 = v2(1, 0x11, [198, 51, 100, 9, 10, 0, 0, 1, 0x1f, 0x90, 0x07, 0x5b]);
    expect(parseProxyHeader(Buffer.concat([ipv4, Buffer.from([0x10])]))).toEqual({
      state: "done",
      address: "198.51.100.9",
      length: ipv4.length,
    });
    const ipv6 = v2(1, 0x21, [0x20, 0x01, 0x0d, 0xb8, ...Array(12).fill(0), ...Array(16).fill(0), 0, 1, 0, 2]);
    expect(parseProxyHeader(ipv6)).toMatchObject({ address: "2001:db8:0:0:0:0:0:0" });
    expect(parseProxyHeader(v2(0, 0x00, []))).toMatchObject({ state: "done", address: undefined });
    expect(parseProxyHeader(ipv4.subarray(0, 20))).toEqual({ state: "incomplete" });
  });

  it("refuses a connection that does not start with a header", () => {
    expect(parseProxyHeader(Buffer.from([0x10, 0x0c, 0x00]))).toMatchObject({ state: "invalid" });
  });
});
