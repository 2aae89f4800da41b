import { describe, expect, it } from "vitest";
import { ProvisionError, provisionSensors } from "./provision.js";

type Call = { method: string; url: string; auth: string | null; body: unknown };

/** A hand-written API: `existing` sensors answer 409 on create; `down` requests fail before it answers. */
function fakeApi(o: { existing?: string[]; down?: number; status?: number } = {}) {
  const calls: Call[] = [];
  let down = o.down ?? 0;
  let n = 0;
  const fetchFn = (async (input: URL | string | Request, init?: RequestInit) => {
    const url = String(input);
    const headers = new Headers(init?.headers);
    calls.push({
      method: init?.method ?? "GET",
      url,
      auth: headers.get("authorization"),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    });
    if (down-- > 0) throw new TypeError("fetch failed");
    if (o.status)
      return new Response(JSON.stringify({ error: { code: "unauthorized", message: "no" } }), { status: o.status });
    const id = url.match(/\/api\/sensors\/([^/]+)\/token$/)?.[1];
    if (id) return Response.json({ sensor_id: id, username: id, token: `rotated-${id}` });
    const body = JSON.parse(String(init?.body)) as { id: string };
    if (o.existing?.includes(body.id)) return Response.json({ error: { code: "sensor_exists" } }, { status: 409 });
    return Response.json({ sensor: {}, username: body.id, token: `new-${body.id}-${++n}` }, { status: 201 });
  }) as typeof fetch;
  return { calls, fetch: fetchFn };
}

describe("provisionSensors", () => {
  it("registers new sensors and rotates the tokens of existing ones, keeping the order given", async () => {
    const api = fakeApi({ existing: ["s-2"] });
    const tokens = await provisionSensors({
      apiUrl: "http://api:8080",
      apiToken: "tok",
      sensors: [
        { id: "s-1", type: "gps" },
        { id: "s-2", type: "vibration" },
      ],
      fetch: api.fetch,
      concurrency: 1,
    });
    expect([...tokens]).toStrictEqual([
      ["s-1", "new-s-1-1"],
      ["s-2", "rotated-s-2"],
    ]);
    expect(api.calls.map((c) => `${c.method} ${c.url}`)).toStrictEqual([
      "POST http://api:8080/api/sensors",
      "POST http://api:8080/api/sensors",
      "POST http://api:8080/api/sensors/s-2/token",
    ]);
    expect(api.calls[0]?.body).toStrictEqual({ id: "s-1", type: "gps" });
    expect(new Set(api.calls.map((c) => c.auth))).toStrictEqual(new Set(["Bearer tok"]));
  });

  it("waits for an API that is not up yet", async () => {
    const api = fakeApi({ down: 2 });
    const tokens = await provisionSensors({
      apiUrl: "http://api:8080",
      apiToken: "tok",
      sensors: [{ id: "s-1", type: "gps" }],
      fetch: api.fetch,
      retryDelayMs: 1,
    });
    expect(tokens.get("s-1")).toBe("new-s-1-1");
    expect(api.calls).toHaveLength(3);
  });

  it("stops at a refusal that retrying cannot change", async () => {
    const api = fakeApi({ status: 401 });
    await expect(
      provisionSensors({
        apiUrl: "http://api:8080",
        apiToken: "bad",
        sensors: [{ id: "s-1", type: "gps" }],
        fetch: api.fetch,
      }),
    ).rejects.toThrow(ProvisionError);
    expect(api.calls).toHaveLength(1);
  });
});
