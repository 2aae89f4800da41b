import { PRESENCE_STATES, sensorIdSchema } from "@sensorstream/contracts";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { pageOf } from "../../core/cursor.js";
import type { Stores } from "./deps.js";
import { ApiError, sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { descriptiveFields, idPage, label, limitParam, sensorIdParams, sensorSchema, toSensor } from "./schemas.js";
import { credentialsSchema, tags } from "./sensors-schemas.js";

/** List, get, register and update sensors. */
export function registerSensorCrudRoutes(app: FastifyInstance, policy: AccessPolicy, { sensors }: Stores): void {
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
      const page = pageOf(rows, query.limit, (last) => last.id);
      return { items: page.items.map(toSensor), next_after: page.next };
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
}
