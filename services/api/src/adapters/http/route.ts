import { describeIssues } from "@sensorstream/contracts";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { type AccessPolicy, decideAccess } from "../../core/access.js";
import { ApiError, BODY_LIMIT_BYTES, type ErrorCode, errorBodySchema } from "./errors.js";

type Schema = z.ZodType | undefined;
type Out<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteInput<P extends Schema, Q extends Schema, B extends Schema> = {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
  req: FastifyRequest;
  reply: FastifyReply;
};

export type RouteSpec<P extends Schema, Q extends Schema, B extends Schema> = {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  url: string;
  /** read: open when API_READ_ACCESS=open; write: always the bearer token. */
  access: "read" | "write";
  tags: string[];
  summary: string;
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Documented answers; the error statuses get the common error body. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler: (input: RouteInput<P, Q, B>) => Promise<unknown>;
};

/** JSON Schema of a zod schema for the OpenAPI document (3.1 speaks JSON Schema 2020-12, zod's default). */
export function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

const noQuery = z.strictObject({});

const PLACE: Record<"params" | "query" | "body", { code: ErrorCode; noun: string }> = {
  params: { code: "invalid_params", noun: "path" },
  query: { code: "invalid_query", noun: "query" },
  body: { code: "invalid_body", noun: "body" },
};

/** Parses one part of a request with its zod schema: the value, or a 400 naming every problem and its fix. */
export function parsePart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  place: "params" | "query" | "body",
): z.output<S> {
  if (place === "body" && value === undefined) {
    throw new ApiError(400, "invalid_body", "send a JSON object as the body, with content-type: application/json");
  }
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const { code, noun } = PLACE[place];
  const issues = r.error.issues.map((i) =>
    i.code === "unrecognized_keys" ? { ...i, message: `unknown ${i.keys.map((k) => `"${k}"`).join(", ")}` } : i,
  );
  const details = issues.map((i) => ({
    path: [noun, ...i.path.map(String)].join("."),
    message: i.message,
  }));
  throw new ApiError(400, code, describeIssues(issues, noun), details);
}

/**
 * Adds one route whose params, query and body are parsed by zod schemas, which are also its OpenAPI
 * description: what the docs promise is what the code checks. Fastify's own validation is off in the API's
 * context (see registerApi), so zod is the only parser.
 */
export function addRoute<P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined>(
  app: FastifyInstance,
  policy: AccessPolicy,
  spec: RouteSpec<P, Q, B>,
): void {
  const needsToken = spec.access === "write" || policy.readAccess === "token";
  const errorJson = jsonSchema(errorBodySchema, "output");
  const response: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    response[status] = {
      description: r.description,
      ...(r.schema ? jsonSchema(r.schema, "output") : Number(status) >= 400 ? errorJson : {}),
    };
  }
  // Every route parses its query (unknown parameters are refused), so any of them can answer 400.
  response["400"] ??= { description: "invalid request; error.details names each problem", ...errorJson };
  if (needsToken) {
    response["401"] ??= { description: "missing or wrong bearer token", ...errorJson };
    response["503"] ??= { description: "no API_TOKEN configured, or the database is unreachable", ...errorJson };
  }
  app.route({
    method: spec.method,
    url: spec.url,
    bodyLimit: BODY_LIMIT_BYTES,
    schema: {
      tags: spec.tags,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.params ? { params: jsonSchema(spec.params, "input") } : {}),
      ...(spec.query ? { querystring: jsonSchema(spec.query, "input") } : {}),
      ...(spec.body ? { body: jsonSchema(spec.body, "input") } : {}),
      ...(needsToken ? { security: [{ bearer: [] }] } : { security: [] }),
      response,
    },
    // Before the body is read: an unauthenticated client cannot make the server parse anything.
    onRequest: async (req, reply) => {
      const d = decideAccess(policy, spec.access, req.headers.authorization);
      if (d.ok) return;
      if (d.status === 401) reply.header("www-authenticate", 'Bearer realm="sensorstream"');
      throw new ApiError(d.status, d.code, d.message);
    },
    handler: async (req, reply) => {
      const params = (spec.params ? parsePart(spec.params, req.params, "params") : undefined) as Out<P>;
      // A route without query parameters refuses them too: a typo must not pass for a filter that was applied.
      const query = parsePart(spec.query ?? noQuery, req.query, "query") as Out<Q>;
      const body = (spec.body ? parsePart(spec.body, req.body, "body") : undefined) as Out<B>;
      return spec.handler({ params, query, body, req, reply });
    },
  });
}
