import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, pageOf } from "./cursor.js";

describe("page cursors", () => {
  it("round-trips its parts, including characters that need escaping", () => {
    const parts = ["2026-11-23T08:00:00.123456Z", "warn", 'a "quoted"/odd\\ value é'];
    const c = encodeCursor("logs", parts);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor("logs", c, 3)).toEqual(parts);
  });

  it("refuses a cursor of another listing or with the wrong number of parts", () => {
    const c = encodeCursor("presence", ["2026-11-23T08:00:00.000000Z", "online", "birth"]);
    expect(decodeCursor("logs", c, 3)).toBeUndefined();
    expect(decodeCursor("presence", c, 2)).toBeUndefined();
  });

  it.each([
    ["empty", ""],
    ["not base64url", "abc+/="],
    ["not JSON", Buffer.from("{nope").toString("base64url")],
    ["not an array", Buffer.from('{"a":1}').toString("base64url")],
    ["a non-string part", Buffer.from('["logs",1,"x","y"]').toString("base64url")],
    ["too long", "A".repeat(2000)],
  ])("refuses %s", (_name, text) => {
    expect(decodeCursor("logs", text, 3)).toBeUndefined();
  });
});

describe("pageOf", () => {
  it("shows `limit` rows and the last one's cursor when the extra row says more follow", () => {
    expect(pageOf([1, 2, 3], 2, (n) => `c${n}`)).toStrictEqual({ items: [1, 2], next: "c2" });
  });
  it("has no next cursor on the last page", () => {
    expect(pageOf([1, 2], 2, (n) => `c${n}`)).toStrictEqual({ items: [1, 2], next: null });
    expect(pageOf<number, string>([], 2, (n) => `c${n}`)).toStrictEqual({ items: [], next: null });
  });
});
