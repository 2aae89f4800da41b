import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Io } from "./io.js";

/**
 * A hand-written stand-in for the sensorstream HTTP API: the sensors and commands routes as issue 9 and
 * services/api specify them (paths, bodies, the error body), with in-memory data. Each GET of a command
 * moves it one step along its sensor's `fate`, so --wait sees queued -> sent -> acked|failed.
 */
export type FakeSensor = { id: string; type: string | null; presence: string; fate?: string[] };
type Cmd = {
  command_id: string;
  sensor_id: string;
  name: string;
  args: unknown;
  state: string;
  issued_at: string;
  expires_at: string;
  error: string | null;
  steps: string[];
};
export type Seen = { method: string; path: string; query: Record<string, string>; auth?: string; body?: unknown };

const TOKEN = "fake-token-0123456789";

export class FakeApi {
  readonly requests: Seen[] = [];
  readonly commands = new Map<string, Cmd>();
  /** This many GETs of a command answer 503 before the next one is served (an API restarting mid --wait). */
  unavailableCommandGets = 0;
  /** The key of the bulk answer's list: `items` as the API answers, or `commands` as issue 9 worded it. */
  bulkListKey: "commands" | "items" = "items";
  private server: Server | undefined;
  url = "";

  constructor(
    private readonly sensors: FakeSensor[],
    /** Largest page the fake serves, to exercise iotctl's paging. */
    private readonly pageSize = 2,
  ) {}

  static readonly token = TOKEN;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    let raw = "";
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    this.requests.push({
      method: req.method ?? "",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
      ...(body ? { body } : {}),
    });
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
    };
    const fail = (status: number, code: string, message: string) => send(status, { error: { code, message } });
    // Reads are open (API_READ_ACCESS=open); writes need the token.
    if (req.method === "POST" && req.headers.authorization !== `Bearer ${TOKEN}`) {
      return fail(401, "unauthorized", "send Authorization: Bearer <API_TOKEN>");
    }
    const r = this.route(req.method ?? "", url, body);
    if ("error" in r) return fail(r.status, r.error, r.message);
    send(r.status, r.body);
  }

  private route(
    method: string,
    url: URL,
    body: Record<string, unknown> | undefined,
  ): { status: number; body: unknown } | { status: number; error: string; message: string } {
    const p = url.pathname.split("/").filter(Boolean);
    const q = url.searchParams;
    const notFound = (id: string) => ({
      status: 404,
      error: "sensor_not_found",
      message: `there is no sensor "${id}"`,
    });
    if (method === "GET" && url.pathname === "/api/sensors") {
      const limit = Math.min(Number(q.get("limit") ?? 100), this.pageSize);
      const rows = this.sensors
        .filter(
          (s) =>
            (!q.get("type") || s.type === q.get("type")) && (!q.get("presence") || s.presence === q.get("presence")),
        )
        .filter((s) => !q.get("after") || s.id > (q.get("after") ?? ""));
      const items = rows.slice(0, limit).map(toSensor);
      return { status: 200, body: { items, next_after: rows.length > limit ? (items.at(-1)?.id ?? null) : null } };
    }
    if (p[0] === "api" && p[1] === "sensors" && p[2] && p.length === 3 && method === "GET") {
      const s = this.sensors.find((x) => x.id === p[2]);
      return s ? { status: 200, body: toSensor(s) } : notFound(p[2]);
    }
    if (p[0] === "api" && p[1] === "sensors" && p[2] && p[3] === "commands") {
      if (!this.sensors.some((x) => x.id === p[2])) return notFound(p[2]);
      if (method === "POST") return { status: 202, body: this.issue(p[2], body ?? {}) };
      const all = [...this.commands.values()].filter(
        (c) => c.sensor_id === p[2] && (!q.get("state") || c.state === q.get("state")),
      );
      const limit = Number(q.get("limit") ?? 100);
      return {
        status: 200,
        body: { items: all.slice(0, limit).map(show), next_before: all.length > limit ? "cursor-2" : null },
      };
    }
    if (method === "POST" && url.pathname === "/api/commands") {
      const b = body ?? {};
      const chosen = this.sensors.filter((s) =>
        b.all === true ? true : b.type !== undefined ? s.type === b.type : (b.sensor_ids as string[]).includes(s.id),
      );
      const commands = chosen.map((s) => this.issue(s.id, b));
      return { status: 202, body: { [this.bulkListKey]: commands, count: commands.length } };
    }
    if (method === "GET" && p[1] === "commands" && p[2] && p.length === 3) {
      if (this.unavailableCommandGets > 0) {
        this.unavailableCommandGets -= 1;
        return { status: 503, error: "database_unavailable", message: "the database is not reachable right now" };
      }
      const c = this.commands.get(p[2]);
      if (!c) return { status: 404, error: "command_not_found", message: `there is no command "${p[2]}"` };
      const next = c.steps.shift();
      if (next) c.state = next;
      if (c.state === "failed") c.error = "sensor refused";
      return { status: 200, body: show(c) };
    }
    return { status: 404, error: "route_not_found", message: `no route ${method} ${url.pathname}` };
  }

  private issue(sensorId: string, b: Record<string, unknown>) {
    const fate = this.sensors.find((s) => s.id === sensorId)?.fate ?? ["sent", "acked"];
    const c: Cmd = {
      command_id: randomUUID(),
      sensor_id: sensorId,
      name: String(b.name),
      args: b.args,
      state: "queued",
      issued_at: "2026-11-29T10:00:00.000000Z",
      expires_at: "2026-11-29T10:05:00.000000Z",
      error: null,
      steps: [...fate],
    };
    this.commands.set(c.command_id, c);
    return show(c);
  }
}

const show = ({ steps: _steps, ...c }: Cmd) => c;

const toSensor = (s: FakeSensor) => ({
  id: s.id,
  type: s.type,
  presence: s.presence,
  last_seen: null,
  reported: { mode: "awake", sample_hz: 2 },
  desired: { mode: null, sample_hz: null },
  in_sync: true,
  metadata: {},
});

/** An Io that records what iotctl writes; stdout is a terminal only when asked. */
export function recordingIo(o: { env?: Record<string, string>; tty?: boolean; stderrTty?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: o.env ?? {},
    stdoutIsTTY: o.tty ?? false,
    stderrIsTTY: o.stderrTty ?? false,
    fetch: globalThis.fetch,
    now: Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    pollIntervalMs: 5,
  };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}
