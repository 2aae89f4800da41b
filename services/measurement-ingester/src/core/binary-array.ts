/**
 * One-dimensional PostgreSQL arrays in the binary wire format (array_recv), built straight from the batch: passed as
 * a Buffer, a query parameter goes out with format code 1, so the server neither parses text nor needs COPY's extra
 * round trips. Layout: int32 ndim, int32 has_null, int32 element type OID, then per dimension int32 length and int32
 * lower bound, then per element int32 byte length and the element's binary form.
 * https://github.com/postgres/postgres/blob/master/src/backend/utils/adt/arrayfuncs.c (array_recv)
 */

/** Element types, by OID (pg_type): array_recv refuses an array whose OID is not the parameter's element type. */
export const ELEMENT = { timestamptz: 1184, text: 25, float8: 701 } as const;
export type ElementOid = (typeof ELEMENT)[keyof typeof ELEMENT];

/** 2000-01-01T00:00:00Z, PostgreSQL's epoch, in Unix microseconds. */
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 2 ** 32;
const HEADER = 20;

/** Appends elements of one type to a growing buffer; `end()` fills in the header and returns the array. */
export class BinaryArray {
  readonly #oid: ElementOid;
  #buf: Buffer;
  #at = HEADER;
  length = 0;

  constructor(oid: ElementOid, initialBytes = 4096) {
    this.#oid = oid;
    this.#buf = Buffer.allocUnsafe(Math.max(HEADER, initialBytes));
  }

  /** A timestamptz: int64 microseconds since 2000-01-01, as two 32-bit halves (no BigInt per element). */
  time(unixMicros: number): void {
    const at = this.#reserve(12);
    const v = unixMicros - PG_EPOCH_US;
    const high = Math.floor(v / TWO_32);
    this.#buf.writeInt32BE(8, at);
    this.#buf.writeInt32BE(high, at + 4);
    this.#buf.writeUInt32BE(v - high * TWO_32, at + 8);
  }

  /** A text: its UTF-8 bytes (encode a repeated string once and pass the same Buffer). */
  text(utf8: Buffer): void {
    const at = this.#reserve(4 + utf8.length);
    this.#buf.writeInt32BE(utf8.length, at);
    utf8.copy(this.#buf, at + 4);
  }

  /** A float8: IEEE 754 big-endian (NaN and ±Infinity included, as PostgreSQL stores them). */
  float8(value: number): void {
    const at = this.#reserve(12);
    this.#buf.writeInt32BE(8, at);
    this.#buf.writeDoubleBE(value, at + 4);
  }

  /** The array (a view of the buffer: add nothing after this). An empty array has no dimensions. */
  end(): Buffer {
    const buf = this.#buf;
    buf.writeInt32BE(this.length === 0 ? 0 : 1, 0);
    buf.writeInt32BE(0, 4); // has_null: never, every column is NOT NULL
    buf.writeInt32BE(this.#oid, 8);
    if (this.length === 0) return buf.subarray(0, 12);
    buf.writeInt32BE(this.length, 12);
    buf.writeInt32BE(1, 16); // lower bound
    return buf.subarray(0, this.#at);
  }

  /** Room for an element of `bytes`; returns where it starts. */
  #reserve(bytes: number): number {
    const at = this.#at;
    if (at + bytes > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, at + bytes));
      this.#buf.copy(grown, 0, 0, at);
      this.#buf = grown;
    }
    this.#at = at + bytes;
    this.length++;
    return at;
  }
}
