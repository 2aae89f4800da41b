/**
 * Time on the wire is RFC 3339 (up to 9 fractional digits) or integer epoch milliseconds.
 * Inside, time is an integer count of epoch microseconds (PostgreSQL's precision). Accepted
 * instants lie in 1970..2200, where microseconds stay below Number.MAX_SAFE_INTEGER.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** The earliest and latest instants a reading may carry: 1970-01-01 to 2200-01-01 (UTC). */
export const MIN_TIME_US = 0;
export const MAX_TIME_US = Date.UTC(2200, 0, 1) * 1000;

export type TimeParseResult = { ok: true; us: number } | { ok: false; error: string };

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (year: number, month: number): number =>
  month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] as number);

/** The digits of text[from, to) as a number, or -1 if any is not a digit (no allocation: the ingest hot path). */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * "2026-11-23T08:00:00.000001Z", the form formatMicros writes and every bus message carries, and its kin with 0-9
 * fractional digits ("2026-11-23T08:00:00.123Z", what devices' toISOString() sends), parsed without a regular
 * expression; undefined for anything else (the general parser takes it, and words any error).
 */
function parseNormalized(text: string): TimeParseResult | undefined {
  const n = text.length;
  if (
    n < 20 ||
    n > 30 ||
    n === 21 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    (n > 20 && text.charCodeAt(19) !== 46) || // .
    text.charCodeAt(n - 1) !== 90 // Z
  )
    return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  // Truncated to microseconds, as the general parser does; digits past the sixth must still be digits.
  const kept = Math.min(n - 21, 6);
  const micros = n === 20 ? 0 : digits(text, 20, 20 + kept) * 10 ** (6 - kept);
  const beyond = n > 27 ? digits(text, 26, n - 1) : 0;
  if ((year | month | day | hour | minute | second | micros | beyond) < 0 || year < 1969 || year > 2200)
    return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
    return undefined;
  return checkRange(Date.UTC(year, month - 1, day, hour, minute, second) * 1000 + micros, text);
}

export function parseRfc3339ToMicros(text: string): TimeParseResult {
  const fast = parseNormalized(text);
  if (fast !== undefined) return fast;
  const m = RFC3339.exec(text);
  if (!m)
    return { ok: false, error: `"${text.slice(0, 40)}" is not an RFC 3339 timestamp (e.g. 2026-11-23T08:00:00.123Z)` };
  const [, ys, mos, ds, hs, mis, ss, frac, , sign, ohs, oms] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  // Date.UTC maps years 0..99 to 1900..1999, so such years must not reach it; no year outside
  // 1969..2200 can land in range, whatever its offset.
  if (year < 1969 || year > 2200) return outOfRange(text);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { ok: false, error: `"${text.slice(0, 40)}" is not a valid date and time` };
  }
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const oh = Number(ohs);
    const om = Number(oms);
    if (oh > 23 || om > 59) return { ok: false, error: `"${text.slice(0, 40)}" has an invalid UTC offset` };
    offsetMinutes = (sign === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const wholeMs = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMinutes * 60_000;
  // Truncate the fraction to microseconds: PostgreSQL stores no finer.
  const micros = frac === undefined ? 0 : Number(frac.padEnd(6, "0").slice(0, 6));
  return checkRange(wholeMs * 1000 + micros, text);
}

export function epochMillisToMicros(ms: number): TimeParseResult {
  if (!Number.isInteger(ms)) return { ok: false, error: `epoch milliseconds must be an integer, got ${ms}` };
  return checkRange(ms * 1000, String(ms));
}

function checkRange(us: number, shown: string): TimeParseResult {
  return us >= MIN_TIME_US && us < MAX_TIME_US ? { ok: true, us } : outOfRange(shown);
}

const outOfRange = (shown: string): TimeParseResult => ({
  ok: false,
  error: `timestamp ${shown.slice(0, 40)} is outside 1970-01-01..2200-01-01`,
});

/** Formats epoch microseconds as RFC 3339 UTC with exactly six fractional digits. */
export function formatMicros(us: number): string {
  const second = Math.floor(us / 1_000_000);
  return `${prefixOf(second)}.${String(us - second * 1_000_000).padStart(6, "0")}Z`;
}

/**
 * The "YYYY-MM-DDTHH:MM:SS" part of a second. Readings come in runs within the same second, and a message's readings
 * and its received_at often lie in two different seconds: the last two are kept.
 */
function prefixOf(second: number): string {
  if (second === lastSecond) return lastPrefix;
  if (second !== otherSecond) {
    otherSecond = second;
    otherPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  otherSecond = lastSecond;
  lastSecond = second;
  const prefix = otherPrefix;
  otherPrefix = lastPrefix;
  lastPrefix = prefix;
  return prefix;
}
let lastSecond = Number.NaN;
let lastPrefix = "";
let otherSecond = Number.NaN;
let otherPrefix = "";

/** Parses the normalized form produced by formatMicros (or any RFC 3339 string) back to microseconds. */
export function microsOf(text: string): number {
  const r = parseRfc3339ToMicros(text);
  if (!r.ok) throw new Error(r.error);
  return r.us;
}

export const nowMicros = (): number => Date.now() * 1000;
