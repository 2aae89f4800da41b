import { PublishError } from "@sensorstream/bus";
import { describeIssues } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, type ZodFastifySchemaValidationError } from "fastify-type-provider-zod";
import { z } from "zod";

/** Every `error.code` the API answers with; clients may switch on these, so they only ever get added to. */
const ERROR_CODES = [
  "invalid_params",
  "invalid_query",
  "invalid_body",
  "invalid_json",
  "unauthorized",
  "sensor_not_found",
  "subscriber_not_found",
  "command_not_found",
  "too_many_sensors",
  "too_many_streams",
  "route_not_found",
  "sensor_exists",
  "subscriber_exists",
  "payload_too_large",
  "unsupported_media_type",
  "api_token_not_configured",
  "database_unavailable",
  "bus_unavailable",
  "internal_error",
  "alarm_rule_not_found",
  "alarm_not_found",
  "alarm_cleared",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Largest request body the API reads: a sensor's metadata, a subscriber's filters. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export type ErrorDetail = { path: string; message: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES).describe("stable, snake_case; switch on this"),
    message: z.string().describe("what went wrong and what to change"),
    details: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe("one entry per problem with the request, when there are several"),
  }),
});

export const errorBody = (e: ApiError): z.output<typeof errorBodySchema> => ({
  error: { code: e.code, message: e.message, ...(e.details?.length ? { details: e.details } : {}) },
});

export const sensorNotFound = (id: string): ApiError =>
  new ApiError(404, "sensor_not_found", `there is no sensor "${id}"; GET /api/sensors lists the registered ones`);

/** SQLSTATE classes and socket errors that mean "the database is not reachable right now", not "this request is bad". */
const DB_DOWN_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P03"]);

function isDatabaseDown(err: { code?: unknown; message?: unknown }): boolean {
  if (typeof err.code === "string" && (DB_DOWN_CODES.has(err.code) || err.code.startsWith("08"))) return true;
  return (
    typeof err.message === "string" &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(
      err.message,
    )
  );
}

const PLACE = {
  params: { code: "invalid_params", noun: "path" },
  querystring: { code: "invalid_query", noun: "query" },
  body: { code: "invalid_body", noun: "body" },
} as const satisfies Record<string, { code: ErrorCode; noun: string }>;

/**
 * A request part its zod schema refused (fastify-type-provider-zod's validation error): a 400 naming every
 * problem and its fix, in the place it was found. The library keeps each zod issue's code, path and details.
 */
function validationError(err: FastifyError & { validation: ZodFastifySchemaValidationError[] }, bodySent: boolean) {
  const place = PLACE[err.validationContext as keyof typeof PLACE] ?? PLACE.body;
  if (place === PLACE.body && !bodySent) {
    return new ApiError(400, "invalid_body", "send a JSON object as the body, with content-type: application/json");
  }
  const issues = err.validation.map((v) => {
    const keys = (v.params as { keys?: unknown }).keys;
    const message =
      v.keyword === "unrecognized_keys" && Array.isArray(keys)
        ? `unknown ${keys.map((k) => `"${String(k)}"`).join(", ")}`
        : v.message;
    return { path: v.instancePath.split("/").filter((p) => p !== ""), message } as z.core.$ZodIssue;
  });
  const details = issues.map((i) => ({ path: [place.noun, ...i.path.map(String)].join("."), message: i.message }));
  return new ApiError(400, place.code, describeIssues(issues, place.noun), details);
}

/** Maps anything a route can throw to the API's error (fastify's own body and validation errors included). */
function toApiError(err: FastifyError | Error, bodySent = true): ApiError {
  if (err instanceof ApiError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) return validationError(err as FastifyError & typeof err, bodySent);
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(
        413,
        "payload_too_large",
        `the request body is too large; send at most ${BODY_LIMIT_BYTES / 1024} KiB of JSON`,
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, "unsupported_media_type", "send the body as JSON with content-type: application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(
        400,
        "invalid_json",
        "the body is empty but content-type says JSON; send a JSON object or drop the header",
      );
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ApiError(400, "invalid_json", "the body is not valid JSON");
    default:
      break;
  }
  if (err instanceof PublishError) {
    return new ApiError(
      503,
      "bus_unavailable",
      "the message bus did not take the change; nothing was changed, retry shortly",
    );
  }
  if (isDatabaseDown(fe)) {
    return new ApiError(503, "database_unavailable", "the database is not reachable right now; retry shortly");
  }
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, "invalid_body", fe.message ?? "the request is malformed");
  }
  return new ApiError(500, "internal_error", "the request failed on our side; it has been logged");
}

/** The error handler of the API's routes: JSON errors for clients, logs for the operator, no internals leaked. */
export function apiErrorHandler(logger: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const e = toApiError(err, req.body !== undefined);
    if (e.status >= 500) {
      const log = { err, req_id: req.id, method: req.method, route: req.routeOptions.url };
      if (e.code === "internal_error") logger.error(log, "API request failed");
      else logger.warn(log, `API request failed: ${e.code}`);
    }
    if (e.status === 503 && e.code !== "api_token_not_configured") reply.header("retry-after", "5");
    if (e.code === "internal_error") {
      return reply.code(500).send(errorBody(new ApiError(500, e.code, `${e.message} (request ${req.id})`)));
    }
    return reply.code(e.status).send(errorBody(e));
  };
}
