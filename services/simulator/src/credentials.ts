import { SENSOR_ID_PATTERN } from "@sensorstream/contracts";

/** Sensor id → its MQTT token (the password it logs in with), in file order. */
export type Credentials = ReadonlyMap<string, string>;

type Parsed = { credentials: Credentials } | { problems: string[] };

/**
 * A credentials file: CSV lines `id,token` (an `id,token` header and `#` comments allowed), or JSON:
 * `[{"id": "...", "token": "..."}]` (the API's `{"username", "token"}` answers work too) or
 * `{"<id>": "<token>"}`. Every problem comes back at once, never a partial list.
 */
export function parseCredentials(text: string): Parsed {
  const trimmed = text.trim();
  const problems: string[] = [];
  const entries =
    trimmed.startsWith("[") || trimmed.startsWith("{") ? fromJson(trimmed, problems) : fromCsv(text, problems);
  const seen = new Set<string>();
  for (const [id] of entries) {
    if (!SENSOR_ID_PATTERN.test(id)) problems.push(`'${id}' is not a sensor id`);
    if (seen.has(id)) problems.push(`'${id}' appears twice`);
    seen.add(id);
  }
  if (entries.length === 0 && problems.length === 0) problems.push("no credentials in the file");
  return problems.length > 0 ? { problems } : { credentials: new Map(entries) };
}

function fromCsv(text: string, problems: string[]): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  let first = true;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const fields = line.split(",").map((f) => f.trim());
    const isHeader = first && fields[0] === "id" && fields[1] === "token";
    first = false;
    if (isHeader) return;
    const [id, token] = fields;
    if (fields.length !== 2 || !id || !token) problems.push(`line ${i + 1}: expected id,token`);
    else entries.push([id, token]);
  });
  return entries;
}

function fromJson(text: string, problems: string[]): Array<[string, string]> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    problems.push(`not valid JSON: ${(err as Error).message}`);
    return [];
  }
  const entries: Array<[string, string]> = [];
  if (Array.isArray(doc)) {
    doc.forEach((e: unknown, i) => {
      const o = (typeof e === "object" && e !== null ? e : {}) as Record<string, unknown>;
      const id = o.id ?? o.username;
      if (typeof id !== "string" || typeof o.token !== "string" || o.token === "") {
        problems.push(`entry ${i + 1}: needs "id" (or "username") and "token" strings`);
      } else entries.push([id, o.token]);
    });
    return entries;
  }
  for (const [id, token] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof token !== "string" || token === "") problems.push(`'${id}': the token must be a non-empty string`);
    else entries.push([id, token]);
  }
  return entries;
}
