import { CliError, EXIT } from "./errors.js";

/** How long one HTTP request may take before iotctl gives up on it. */
const REQUEST_TIMEOUT_MS = 15_000;

type ApiErrorBody = { error?: { code?: string; message?: string; details?: { path: string; message: string }[] } };

export type RequestOptions = { query?: Record<string, string | number | undefined>; body?: unknown };

/** The sensorstream HTTP API, as iotctl calls it: JSON in and out, every failure turned into a CliError. */
export class ApiClient {
  /** The base URL without a trailing `/` or `/api`: both `http://h:8080` and `http://h:8080/api/` are accepted. */
  readonly base: string;

  constructor(
    base: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: typeof fetch,
  ) {
    this.base = base.replace(/\/+$/, "").replace(/\/api$/, "");
  }

  async request<T>(method: "GET" | "POST" | "DELETE", path: string, o: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.base}/api${path}`);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (o.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers,
        ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(
        `${this.base} answered ${method} ${url.pathname} with ${res.status} and a body that is not JSON: is --api / IOTCTL_API the sensorstream API?`,
        EXIT.api,
      );
    }
    if (!res.ok) throw this.refused(res.status, body as ApiErrorBody, method, url.pathname);
    return body as T;
  }

  /** A GET whose answer is a file (an export): the response body, once the API said 200; errors as for request(). */
  async download(path: string, query: RequestOptions["query"] = {}): Promise<ReadableStream<Uint8Array>> {
    const url = new URL(`${this.base}/api${path}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      // No overall timeout: an export of a long range takes as long as it takes; the connect still fails fast.
      res = await this.fetchImpl(url, { headers });
    } catch (err) {
      throw this.unreachable(err);
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      let body: ApiErrorBody | undefined;
      try {
        body = JSON.parse(text) as ApiErrorBody;
      } catch {
        body = undefined;
      }
      throw this.refused(res.status, body, "GET", url.pathname);
    }
    return res.body;
  }

  private unreachable(err: unknown): CliError {
    const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
    const why =
      e.name === "TimeoutError" ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (e.cause?.code ?? e.message);
    return new CliError(
      `cannot reach the API at ${this.base} (${why}): start it (npm start) or point --api / IOTCTL_API at it`,
      EXIT.api,
      true,
    );
  }

  private refused(status: number, body: ApiErrorBody | undefined, method: string, path: string): CliError {
    const code = body?.error?.code;
    const said = body?.error?.message ?? `HTTP ${status}`;
    const details = (body?.error?.details ?? []).map((d) => `\n  ${d.path}: ${d.message}`).join("");
    if (status === 401) {
      const fix = this.token
        ? "the API refused the token: set IOTCTL_TOKEN (or --token) to the API's API_TOKEN"
        : "the API needs a token: set IOTCTL_TOKEN (or --token) to the API's API_TOKEN";
      return new CliError(fix, EXIT.api);
    }
    if (code === "sensor_not_found") {
      return new CliError(`unknown sensor: ${said} (iotctl sensors list shows them)`, EXIT.api);
    }
    if (status === 404 && (code === "route_not_found" || code === undefined)) {
      return new CliError(
        `the API at ${this.base} has no ${method} ${path}: check --api / IOTCTL_API (commands need an API that has the command routes)`,
        EXIT.api,
      );
    }
    return new CliError(
      `the API answered ${status}${code ? ` ${code}` : ""}: ${said}${details}`,
      EXIT.api,
      status >= 500,
    );
  }
}
