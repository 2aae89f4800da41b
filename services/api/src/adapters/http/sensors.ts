import { PRESENCE_STATES, sensorIdSchema } from "@sensorstream/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { encodeCursor } from "../../core/cursor.js";
import type { Stores } from "./deps.js";
import { ApiError, sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import {
  cursorParam,
  descriptiveFields,
  idPage,
  label,
  limitParam,
  olderPage,
  sensorIdParams,
  sensorSchema,
  time,
  toSensor,
} from "./schemas.js";

const tags = ["sensors"];

const credentialsSchema = z.object({
  username: z.string().describe("MQTT username: the sensor id"),
  token: z.string().describe("MQTT password; shown only in this response, stored only as a hash"),
});

const presenceEntrySchema = z.object({
  time: time("when the transition happened (RFC 3339, UTC, microseconds)"),
  state: z.enum(PRESENCE_STATES),
  previous: z.enum(PRESENCE_STATES).nullable(),
  reason: z
    .string()
    .describe("what caused it, e.g. status_online, status_offline, connected, disconnected, activity, no_data"),
});

const deletedSchema = z.object({
  id: z.string(),
  with_data: z.boolean(),
  deleted: z.object({ sensor: z.literal(true) }),
  data: z
    .enum(["kept", "purging"])
    .describe("kept: its data stays; purging: the services that own its data are deleting it (asynchronous)"),
});

export function sensorRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { sensors, announce, revocations }: Stores,
): void {
  addRoute(app, policy, {
    method: "GET",
    url: "/sensors",
    access: "read",
    tags,
    summary: "List sensors",
    description: "In id order, `limit` at a time; pass `next_after` back as `after` for the next page.",
    query: z.strictObject({
      type: label("type").optional(),
      presence: z.enum(PRESENCE_STATES, { error: `presence must be one of ${PRESENCE_STATES.join(", ")}` }).optional(),
      limit: limitParam(100, 1000),
      after: sensorIdSchema.optional().describe("the next_after of the previous page"),
    }),
    responses: {
      200: {
        description: "a page of sensors",
        schema: idPage(sensorSchema),
      },
    },
    handler: async ({ query }) => {
      const rows = await sensors.list(
        { type: query.type, presence: query.presence },
        { limit: query.limit + 1, after: query.after },
      );
      const items = rows.slice(0, query.limit);
      return {
        items: items.map(toSensor),
        next_after: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null,
      };
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id",
    access: "read",
    tags,
    summary: "Get a sensor: metadata, presence, desired and reported state",
    params: sensorIdParams,
    responses: {
      200: { description: "the sensor", schema: sensorSchema },
      404: { description: "no such sensor" },
    },
    handler: async ({ params }) => {
      const s = await sensors.get(params.id);
      if (!s) throw sensorNotFound(params.id);
      return toSensor(s);
    },
  });

  addRoute(app, policy, {
    method: "POST",
    url: "/sensors",
    access: "write",
    tags,
    summary: "Register a sensor and issue its MQTT credentials",
    description: "The token is the sensor's MQTT password. It is shown once, in this response; keep it.",
    body: z.strictObject({ id: sensorIdSchema, ...descriptiveFields }),
    responses: {
      201: { description: "registered", schema: z.object({ sensor: sensorSchema }).extend(credentialsSchema.shape) },
      409: { description: "a sensor with this id exists" },
    },
    handler: async ({ body, reply }) => {
      const r = await sensors.create(body);
      if ("conflict" in r) {
        throw new ApiError(
          409,
          "sensor_exists",
          `sensor "${body.id}" already exists; PATCH /api/sensors/${body.id} to change it, or POST /api/sensors/${body.id}/token for new credentials`,
        );
      }
      reply.code(201).header("location", `/api/sensors/${body.id}`);
      return { sensor: toSensor(r.sensor), username: r.sensor.id, token: r.token };
    },
  });

  addRoute(app, policy, {
    method: "PATCH",
    url: "/sensors/:id",
    access: "write",
    tags,
    summary: "Update a sensor's type, model, firmware or metadata",
    description: "Fields left out keep their value; `metadata`, when given, replaces the whole object.",
    params: sensorIdParams,
    body: z.strictObject(descriptiveFields).refine((b) => Object.values(b).some((v) => v !== undefined), {
      message: "send at least one of type, model, firmware, metadata",
    }),
    responses: {
      200: { description: "the updated sensor", schema: sensorSchema },
      404: { description: "no such sensor" },
    },
    handler: async ({ params, body }) => {
      const s = await sensors.update(params.id, body);
      if (!s) throw sensorNotFound(params.id);
      return toSensor(s);
    },
  });

  addRoute(app, policy, {
    method: "DELETE",
    url: "/sensors/:id",
    access: "write",
    tags,
    summary: "Delete a sensor (and, with with_data=true, its measurements, positions and logs)",
    description:
      "The sensor's credentials, registry record and presence history go at once. Without `with_data` its stored " +
      "data stays (still readable by sensor id): 200. With `with_data=true` the purge is asynchronous: 202, and the " +
      "services that own its measurements, positions and logs delete them in the background (seconds while they " +
      "run; a stopped one catches up when it starts). Readings still in flight when it was deleted may land after " +
      "the purge. 503 `bus_unavailable` means nothing was deleted; retry.",
    params: sensorIdParams,
    query: z.strictObject({
      with_data: z
        .stringbool({ error: "with_data must be true or false" })
        .default(false)
        .meta({ enum: ["true", "false"], description: "also delete its measurements, positions and logs" }),
    }),
    responses: {
      200: { description: "deleted; its data is kept", schema: deletedSchema },
      202: { description: "deleted; the purge of its data is asynchronous", schema: deletedSchema },
      404: { description: "no such sensor" },
      503: { description: "the database or the message bus is unreachable; nothing was deleted" },
    },
    handler: async ({ params, query, reply }) => {
      if (!(await sensors.delete(params.id, query.with_data, announce))) throw sensorNotFound(params.id);
      await revocations.revoked("sensor", params.id, "deleted");
      if (query.with_data) reply.code(202);
      return {
        id: params.id,
        with_data: query.with_data,
        deleted: { sensor: true as const },
        data: query.with_data ? ("purging" as const) : ("kept" as const),
      };
    },
  });

  addRoute(app, policy, {
    method: "POST",
    url: "/sensors/:id/token",
    access: "write",
    tags,
    summary: "Issue new MQTT credentials (the old token stops working)",
    description:
      "Every gateway ends the live sessions of the old token within seconds (credentials.revoked); the new token works at once.",
    params: sensorIdParams,
    responses: {
      200: {
        description: "the new credentials",
        schema: z.object({ sensor_id: z.string() }).extend(credentialsSchema.shape),
      },
      404: { description: "no such sensor" },
    },
    handler: async ({ params }) => {
      const token = await sensors.rotateToken(params.id);
      if (token === undefined) throw sensorNotFound(params.id);
      await revocations.revoked("sensor", params.id, "rotated");
      return { sensor_id: params.id, username: params.id, token };
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id/presence",
    access: "read",
    tags,
    summary: "Presence history of a sensor, newest first",
    params: sensorIdParams,
    query: z.strictObject({
      limit: limitParam(100, 1000),
      before: cursorParam("presence", ["time", "state", "reason"]).optional(),
    }),
    responses: {
      200: {
        description: "a page of transitions",
        schema: olderPage(presenceEntrySchema),
      },
      404: { description: "no such sensor" },
    },
    handler: async ({ params, query }) => {
      const rows = await sensors.presenceHistoryPage(params.id, { limit: query.limit + 1, before: query.before });
      if (rows.length === 0 && !(await sensors.get(params.id))) throw sensorNotFound(params.id);
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return {
        items,
        next_before:
          rows.length > query.limit && last ? encodeCursor("presence", [last.time, last.state, last.reason]) : null,
      };
    },
  });
}
