import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copyText } from "./index.js";

/** How PostgreSQL's COPY text format reads a field back (the escapes copyText can produce). */
function unescapeCopy(field: string): string | null {
  if (field === "\\N") return null;
  return field.replace(/\\(.)/gs, (_, c: string) => ({ t: "\t", n: "\n", r: "\r", "\\": "\\" })[c] ?? c);
}

describe("copyText", () => {
  it("writes null as \\N", () => {
    expect(copyText(null)).toBe("\\N");
  });

  it.each([
    ["back\\slash", "back\\\\slash"],
    ["tab\there", "tab\\there"],
    ["new\nline", "new\\nline"],
    ["carriage\rreturn", "carriage\\rreturn"],
    ["\r\n", "\\r\\n"],
    ["\\N", "\\\\N"],
    ["\\.", "\\\\."],
    ["", ""],
    ["plain text, with 'quotes' and \"doubles\" and ü", "plain text, with 'quotes' and \"doubles\" and ü"],
  ])("escapes %j as %j", (input, output) => {
    expect(copyText(input)).toBe(output);
  });

  it("keeps the string \\N apart from null", () => {
    expect(copyText("\\N")).not.toBe(copyText(null));
    expect(copyText("N")).toBe("N");
  });

  it.each([
    [0, "0"],
    [-0, "0"],
    [42, "42"],
    [-3.25, "-3.25"],
    [0.1, "0.1"],
    [1e21, "1e+21"],
    [5e-324, "5e-324"],
    [Number.MAX_VALUE, "1.7976931348623157e+308"],
    [Number.NaN, "NaN"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [Number.NEGATIVE_INFINITY, "-Infinity"],
  ])("writes the number %d as %s", (input, output) => {
    expect(copyText(input)).toBe(output);
  });

  // Property tests: a generous timeout, since a loaded CI machine runs them several times slower.
  it("never emits a raw field or row separator, and reads back to the input", { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const out = copyText(s);
        expect(out).not.toMatch(/[\t\n\r]/);
        expect(unescapeCopy(out)).toBe(s);
      }),
    );
  });

  it("writes numbers that read back exactly", { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(Number(copyText(v))).toBe(v === 0 ? 0 : v);
      }),
    );
  });
});
