import type { LogEntry, LogMessage } from "@sensorstream/contracts";

/** One sensor_logs row as staged: msg_hash is computed by PostgreSQL, fields travel as JSON text. */
export type LogRow = readonly [time: string, sensorId: string, level: string, msg: string, fields: string];

/** Flattens messages to one row per log line. */
export function toLogRows(messages: readonly LogMessage[]): LogRow[] {
  const rows: LogRow[] = [];
  for (const m of messages) {
    for (const e of m.entries) rows.push([e.time, m.sensor_id, e.level, e.msg, JSON.stringify(e.fields)]);
  }
  return rows;
}

/** Rows a message will produce: what the batch size limit counts. */
export const lineCount = (m: LogMessage): number => m.entries.length;

/** Lines per level in committed messages, for sensorstream_ingester_log_lines_total. */
export function linesByLevel(messages: readonly LogMessage[]): Map<LogEntry["level"], number> {
  const counts = new Map<LogEntry["level"], number>();
  for (const m of messages) {
    for (const e of m.entries) counts.set(e.level, (counts.get(e.level) ?? 0) + 1);
  }
  return counts;
}
