/**
 * The measurement ingester sends a batch's columns as binary arrays (array_recv's format, query parameters with
 * format code 1). Here PostgreSQL itself decodes what the encoder wrote, for the values that are easy to get wrong:
 * times before PostgreSQL's epoch (2000) and with microseconds, non-ASCII and long text, and the float8 edge cases
 * (−0, NaN, ±Infinity, denormals, the largest finite values), which the binary path stores as they are.
 */
import { microsOf } from "@sensorstream/contracts";
import { BinaryArray, ELEMENT, type ElementOid } from "@sensorstream/measurement-ingester";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEnv } from "../fixtures/env.js";
import { testPool } from "../fixtures/pg.js";

function array<T>(oid: ElementOid, values: readonly T[], add: (a: BinaryArray, v: T) => void): Buffer {
  const a = new BinaryArray(oid, 32); // small, so the tests also grow it
  for (const v of values) add(a, v);
  return a.end();
}

describe("binary arrays, decoded by PostgreSQL", () => {
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = testPool(testEnv().databaseUrl, 1);
  });
  afterAll(async () => {
    await pool?.end();
  });

  it("reads back timestamptz as the same instants PostgreSQL parses from the text, to the microsecond", async () => {
    const times = [
      "1970-01-01T00:00:00.000000Z",
      "1971-06-01T12:00:00.000007Z",
      "1999-12-31T23:59:59.999999Z", // one µs before PostgreSQL's epoch: -1
      "2000-01-01T00:00:00.000000Z",
      "2000-01-01T01:11:34.967296Z", // 2^32 µs after it: the low half wraps
      "2026-11-23T07:00:06.5-02:00",
      "2199-12-31T23:59:59.999999Z",
    ];
    const binary = array(ELEMENT.timestamptz, times, (a, t) => a.time(microsOf(t)));
    const { rows } = await pool.query<{ same: boolean; shown: string }>(
      `SELECT b = t::timestamptz AS same, to_char(b AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS shown
         FROM unnest($1::timestamptz[], $2::text[]) WITH ORDINALITY AS x(b, t, i) ORDER BY i`,
      [binary, times],
    );
    expect(rows.map((r) => r.same)).toStrictEqual(times.map(() => true));
    expect(rows[2]?.shown).toBe("1999-12-31 23:59:59.999999");
    expect(rows[4]?.shown).toBe("2000-01-01 01:11:34.967296");
  });

  it("reads back text byte for byte: non-ASCII, array-literal punctuation, empty, and long", async () => {
    const texts = ["grüße-1", "µ", "温度", "rocket-🚀", "", 'a"b{c},d\\e NULL', "x".repeat(100_000)];
    const binary = array(ELEMENT.text, texts, (a, t) => a.text(Buffer.from(t, "utf8")));
    const { rows } = await pool.query<{ t: string }>(
      "SELECT t FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i) ORDER BY i",
      [binary],
    );
    expect(rows.map((r) => r.t)).toStrictEqual(texts);
  });

  it("reads back float8 exactly, with −0, NaN, ±Infinity, denormals and the extremes", async () => {
    const values = [0, -0, 1.5, -2.25, 0.1, 2 ** 53 + 2, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE];
    const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const binary = array(ELEMENT.float8, [...values, ...special], (a, v) => a.float8(v));
    const { rows } = await pool.query<{ v: number; shown: string }>(
      "SELECT v, v::text AS shown FROM unnest($1::float8[]) WITH ORDINALITY AS x(v, i) ORDER BY i",
      [binary],
    );
    expect(rows.map((r) => r.v)).toStrictEqual([...values, ...special]);
    expect(Object.is(rows[1]?.v, -0)).toBe(true);
    expect(rows.slice(-3).map((r) => r.shown)).toStrictEqual(["NaN", "Infinity", "-Infinity"]);
  });

  it("writes an empty array as one without dimensions", async () => {
    const { rows } = await pool.query<{ n: number; dims: string | null }>(
      "SELECT cardinality($1::text[]) AS n, array_dims($1::text[]) AS dims",
      [new BinaryArray(ELEMENT.text).end()],
    );
    expect(rows).toStrictEqual([{ n: 0, dims: null }]);
  });

  it("is refused when its element type is not the parameter's (the OID in the header is checked)", async () => {
    const floats = array(ELEMENT.float8, [1], (a, v) => a.float8(v));
    await expect(pool.query("SELECT cardinality($1::text[])", [floats])).rejects.toMatchObject({ code: "42804" });
  });
});
