/**
 * PostgreSQL's binary COPY format, written straight from the batch: no text for the server to parse (timestamptz
 * and double precision input functions are a good part of a text COPY's cost), and no number-to-string conversion
 * here. https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
 */

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
/** 2000-01-01T00:00:00Z, PostgreSQL's epoch, in Unix microseconds. */
const PG_EPOCH_US = 946_684_800_000_000;
const CHUNK = 64 * 1024;
const TWO_32 = 2 ** 32;

/** Appends tuples to 64 KiB buffers; `end()` returns them, header first and trailer last. */
export class BinaryCopyWriter {
  readonly #chunks: Buffer[] = [];
  #buf: Buffer;
  #at: number;
  rows = 0;

  constructor() {
    this.#buf = Buffer.allocUnsafe(CHUNK);
    SIGNATURE.copy(this.#buf, 0);
    this.#buf.writeInt32BE(0, 11); // flags
    this.#buf.writeInt32BE(0, 15); // header extension length
    this.#at = 19;
  }

  /** Room for `bytes` more in the current buffer. */
  #ensure(bytes: number): void {
    if (this.#at + bytes <= this.#buf.length) return;
    this.#chunks.push(this.#buf.subarray(0, this.#at));
    this.#buf = Buffer.allocUnsafe(Math.max(CHUNK, bytes));
    this.#at = 0;
  }

  /** A tuple of (timestamptz, text, text, double precision): a measurement. */
  timeTextTextDouble(us: number, a: Buffer, b: Buffer, value: number): void {
    this.#ensure(2 + 12 + 4 + a.length + 4 + b.length + 12);
    const buf = this.#buf;
    let at = buf.writeInt16BE(4, this.#at);
    at = this.#time(buf, at, us);
    at = this.#bytes(buf, at, a);
    at = this.#bytes(buf, at, b);
    at = buf.writeInt32BE(8, at);
    this.#at = buf.writeDoubleBE(value, at);
    this.rows++;
  }

  /** A tuple of (timestamptz, text, double precision, double precision): a position. */
  timeTextDoubleDouble(us: number, a: Buffer, x: number, y: number): void {
    this.#ensure(2 + 12 + 4 + a.length + 24);
    const buf = this.#buf;
    let at = buf.writeInt16BE(4, this.#at);
    at = this.#time(buf, at, us);
    at = this.#bytes(buf, at, a);
    at = buf.writeInt32BE(8, at);
    at = buf.writeDoubleBE(x, at);
    at = buf.writeInt32BE(8, at);
    this.#at = buf.writeDoubleBE(y, at);
    this.rows++;
  }

  end(): Buffer[] {
    this.#ensure(2);
    this.#at = this.#buf.writeInt16BE(-1, this.#at);
    this.#chunks.push(this.#buf.subarray(0, this.#at));
    return this.#chunks;
  }

  #time(buf: Buffer, at: number, us: number): number {
    // int64 microseconds since 2000-01-01, as two 32-bit halves (no BigInt per row).
    const v = us - PG_EPOCH_US;
    const high = Math.floor(v / TWO_32);
    const next = buf.writeInt32BE(8, at);
    return buf.writeUInt32BE(v - high * TWO_32, buf.writeInt32BE(high, next));
  }

  #bytes(buf: Buffer, at: number, bytes: Buffer): number {
    const next = buf.writeInt32BE(bytes.length, at);
    bytes.copy(buf, next);
    return next + bytes.length;
  }
}
