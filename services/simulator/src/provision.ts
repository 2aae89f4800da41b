/** A sensor to register through the HTTP API, with the type it reports. */
type SensorToProvision = { id: string; type: string };

export type ProvisionOptions = {
  /** The API's base URL, e.g. http://api:8080 (routes under /api). */
  apiUrl: string;
  /** The API's bearer token (API_TOKEN). */
  apiToken: string;
  sensors: readonly SensorToProvision[];
  fetch?: typeof fetch;
  /** Requests in flight at once; default 8. */
  concurrency?: number;
  /** Tries per sensor while the API is unreachable or answers 5xx (it may still be starting); default 30. */
  attempts?: number;
  retryDelayMs?: number;
};

/** A refusal that retrying will not change (4xx other than 409): a wrong token, a bad id. */
export class ProvisionError extends Error {
  override name = "ProvisionError";
}

/**
 * Registers each sensor (POST /api/sensors) and keeps the token the API issues; a sensor that
 * already exists gets a new token (POST /api/sensors/<id>/token: its previous one stops working).
 * Returns id → token, in the order given.
 */
export async function provisionSensors(o: ProvisionOptions): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.sensors.length) {
      const s = o.sensors[next++];
      if (s) tokens.set(s.id, await withRetries(o, () => tokenFor(o, s)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency ?? 8, o.sensors.length) }, worker));
  return new Map(o.sensors.map((s) => [s.id, tokens.get(s.id) ?? ""]));
}

async function tokenFor(o: ProvisionOptions, s: SensorToProvision): Promise<string> {
  const created = await call(o, "/api/sensors", { id: s.id, type: s.type });
  if (created.status === 201) return tokenOf(created.body, s.id);
  if (created.status !== 409) throw refusal(created, `registering ${s.id}`);
  const rotated = await call(o, `/api/sensors/${encodeURIComponent(s.id)}/token`, undefined);
  if (rotated.status === 200) return tokenOf(rotated.body, s.id);
  throw refusal(rotated, `issuing a token for ${s.id}`);
}

type Answer = { status: number; body: unknown };

async function call(o: ProvisionOptions, path: string, body: unknown): Promise<Answer> {
  const res = await (o.fetch ?? fetch)(new URL(path, o.apiUrl), {
    method: "POST",
    headers: {
      authorization: `Bearer ${o.apiToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text for the error message
  }
  if (res.status >= 500) throw new Error(`API answered ${res.status}`);
  return { status: res.status, body: parsed };
}

function tokenOf(body: unknown, id: string): string {
  const token = (body as { token?: unknown } | null)?.token;
  if (typeof token !== "string" || token === "") throw new ProvisionError(`the API returned no token for ${id}`);
  return token;
}

function refusal(a: Answer, what: string): ProvisionError {
  const err = (a.body as { error?: { code?: string; message?: string } } | null)?.error;
  return new ProvisionError(`${what}: API answered ${a.status} ${err?.code ?? ""} ${err?.message ?? ""}`.trim());
}

async function withRetries<T>(o: ProvisionOptions, work: () => Promise<T>): Promise<T> {
  const attempts = o.attempts ?? 30;
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (err) {
      if (err instanceof ProvisionError || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, o.retryDelayMs ?? 2_000));
    }
  }
}
