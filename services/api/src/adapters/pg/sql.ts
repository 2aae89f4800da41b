/**
 * A timestamptz column as RFC 3339 UTC text with its microseconds: read through a JavaScript Date it would
 * lose them, and a page cursor built from a truncated time would skip or repeat rows.
 */
export const isoMicros = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
