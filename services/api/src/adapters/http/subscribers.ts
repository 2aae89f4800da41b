import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { topicFilterProblem } from "../../core/topic-filter.js";
import type { Stores } from "./deps.js";
import { ApiError } from "./errors.js";
import { addRoute } from "./route.js";
import { time } from "./schemas.js";

const tags = ["subscribers"];

const nameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    "a subscriber name is 1-64 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit",
  );

const topicFilter = z.string().superRefine((filter, ctx) => {
  const problem = topicFilterProblem(filter);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const subscriberSchema = z.object({
  name: z.string(),
  topics: z.array(z.string()).describe("MQTT topic filters it may subscribe to"),
  created_at: time(),
});

const notFound = (name: string) =>
  new ApiError(404, "subscriber_not_found", `there is no subscriber "${name}"; GET /api/subscribers lists them`);

/** Read-only MQTT credentials. Managing credentials always needs the bearer token, even when reads are open. */
export function subscriberRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { subscribers, revocations }: Stores,
): void {
  addRoute(app, policy, {
    method: "POST",
    url: "/subscribers",
    access: "write",
    tags,
    summary: "Create read-only MQTT credentials (e.g. for alerts/# or a dashboard)",
    description:
      "Connect with username `subscriber:<name>` and the token as password; subscribing is allowed within " +
      "`topics`, publishing never. The token is shown once, in this response.",
    body: z.strictObject({
      name: nameSchema,
      topics: z
        .array(topicFilter)
        .min(1, "grant at least one topic filter, e.g. alerts/#")
        .max(32, "at most 32 topic filters")
        .describe("MQTT topic filters, e.g. alerts/# or sensors/+/status"),
    }),
    responses: {
      201: {
        description: "created",
        schema: z.object({
          subscriber: subscriberSchema,
          username: z.string().describe("MQTT username: subscriber:<name>"),
          token: z.string().describe("MQTT password; shown only in this response"),
        }),
      },
      409: { description: "a subscriber with this name exists" },
    },
    handler: async ({ body, reply }) => {
      const r = await subscribers.create(body.name, [...new Set(body.topics)]);
      if ("conflict" in r) {
        throw new ApiError(
          409,
          "subscriber_exists",
          `subscriber "${body.name}" already exists; DELETE /api/subscribers/${body.name} first to replace it`,
        );
      }
      reply.code(201).header("location", `/api/subscribers/${body.name}`);
      return r;
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/subscribers",
    access: "write",
    tags,
    summary: "List read-only MQTT subscribers (never their tokens)",
    responses: {
      200: { description: "every subscriber, by name", schema: z.object({ items: z.array(subscriberSchema) }) },
    },
    handler: async () => ({ items: await subscribers.list() }),
  });

  addRoute(app, policy, {
    method: "DELETE",
    url: "/subscribers/:name",
    access: "write",
    tags,
    summary: "Delete a subscriber",
    description:
      "Its credentials stop working at once, and every gateway ends its live sessions within seconds (credentials.revoked).",
    params: z.strictObject({ name: nameSchema }),
    responses: {
      200: { description: "deleted", schema: z.object({ name: z.string(), deleted: z.literal(true) }) },
      404: { description: "no such subscriber" },
    },
    handler: async ({ params }) => {
      if (!(await subscribers.delete(params.name))) throw notFound(params.name);
      await revocations.revoked("subscriber", params.name, "deleted");
      return { name: params.name, deleted: true as const };
    },
  });
}
