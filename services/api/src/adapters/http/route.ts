import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { type AccessPolicy, decideAccess } from "../../core/access.js";
import { ApiError, BODY_LIMIT_BYTES, errorBodySchema } from "./errors.js";

type Schema = z.ZodType | undefined;
type Out<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

type RouteInput<P extends Schema, Q extends Schema, B extends Schema> = {
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

/** A route without query parameters refuses them too: a typo must not pass for a filter that was applied. */
const noQuery = z.strictObject({});

const json = (description: string, schema: z.ZodType) => ({ description, content: { "application/json": { schema } } });

/**
 * Adds one route whose params, query and body are zod schemas: fastify-type-provider-zod parses every
 * request part with them (a failure becomes the API's 400 in toApiError) and turns them into the
 * OpenAPI description, so what the docs promise is what the code checks. This helper only adds what
 * every route shares: the access check and the common error answers.
 */
export function addRoute<P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined>(
  app: FastifyInstance,
  policy: AccessPolicy,
  spec: RouteSpec<P, Q, B>,
): void {
  const needsToken = spec.access === "write" || policy.readAccess === "token";
  const response: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    response[status] = json(r.description, r.schema ?? (Number(status) >= 400 ? errorBodySchema : z.unknown()));
  }
  // Every route parses its query (unknown parameters are refused), so any of them can answer 400.
  response["400"] ??= json("invalid request; error.details names each problem", errorBodySchema);
  if (needsToken) {
    response["401"] ??= json("missing or wrong bearer token", errorBodySchema);
    response["503"] ??= json("no API_TOKEN configured, or the database is unreachable", errorBodySchema);
  }
  app.withTypeProvider<ZodTypeProvider>().route({
    method: spec.method,
    url: spec.url,
    bodyLimit: BODY_LIMIT_BYTES,
    schema: {
      tags: spec.tags,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      ...(spec.params ? { params: spec.params } : {}),
      querystring: spec.query ?? noQuery,
      ...(spec.body ? { body: spec.body } : {}),
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
    // Fastify has replaced each part with what its schema parsed (defaults and transforms applied).
    handler: async (req, reply) =>
      spec.handler({
        params: req.params as Out<P>,
        query: req.query as Out<Q>,
        body: req.body as Out<B>,
        req,
        reply,
      }),
  });
}
