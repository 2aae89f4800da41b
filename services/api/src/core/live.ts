/**
 * The live stream's decisions, pure: which events an entry of the live log becomes for one client, and how an
 * event id reads back. An id is `<offset>-<index>`: the log entry's offset (the same on every API replica) and the
 * event's place within that entry (a committed batch holds many readings), so a resume skips exactly what the
 * client already has, whichever replica it reaches.
 */

export type LiveFilter = {
  sensorIds: ReadonlySet<string> | undefined;
  metrics: ReadonlySet<string> | undefined;
  alarms: boolean;
  presence: boolean;
};

export type LiveEvent = { id: string; event: "reading" | "presence" | "alarm"; data: string };

export type EventPosition = { offset: number; index: number };

type Reading = { sensor_id: string; time: string; values: Record<string, number> };

const wants = (f: LiveFilter, sensorId: unknown) =>
  typeof sensorId === "string" && (f.sensorIds === undefined || f.sensorIds.has(sensorId));

/**
 * The events of one log entry for this client, from `skipThrough` on (the index of the last event it already
 * has in this entry, or -1). An entry that does not parse becomes no event: the stream never stops on one.
 */
export function eventsOf(
  entry: { offset: number; routingKey: string; content: Buffer },
  f: LiveFilter,
  skipThrough = -1,
): LiveEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(entry.content.toString("utf8"));
  } catch {
    return [];
  }
  if (typeof body !== "object" || body === null) return [];
  const id = (index: number) => `${entry.offset}-${index}`;
  if (entry.routingKey === "readings.committed") {
    const readings = (body as { readings?: unknown }).readings;
    if (!Array.isArray(readings)) return [];
    const out: LiveEvent[] = [];
    readings.forEach((r: Reading, index) => {
      if (index <= skipThrough || !wants(f, r?.sensor_id) || typeof r.values !== "object" || r.values === null) return;
      const values = f.metrics ? pick(r.values, f.metrics) : r.values;
      if (Object.keys(values).length === 0) return;
      out.push({
        id: id(index),
        event: "reading",
        data: JSON.stringify({ sensor_id: r.sensor_id, time: r.time, values }),
      });
    });
    return out;
  }
  if (skipThrough >= 0) return [];
  const sensorId = (body as { sensor_id?: unknown }).sensor_id;
  if (!wants(f, sensorId)) return [];
  if (entry.routingKey.endsWith(".presence") && f.presence)
    return [{ id: id(0), event: "presence", data: JSON.stringify(body) }];
  if (entry.routingKey.endsWith(".alarms.trigger") && f.alarms)
    return [{ id: id(0), event: "alarm", data: JSON.stringify(body) }];
  return [];
}

function pick(values: Record<string, number>, metrics: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k in values) if (metrics.has(k)) out[k] = values[k] as number;
  return out;
}

/** An event id as this API writes it, or undefined. */
export function parseEventId(text: string): EventPosition | undefined {
  const m = /^([0-9]{1,15})-([0-9]{1,9})$/.exec(text);
  if (!m) return undefined;
  return { offset: Number(m[1]), index: Number(m[2]) };
}

/** SSE framing of one event (data is one line of JSON: no newline to split). */
export const frame = (e: LiveEvent): string => `id: ${e.id}\nevent: ${e.event}\ndata: ${e.data}\n\n`;
