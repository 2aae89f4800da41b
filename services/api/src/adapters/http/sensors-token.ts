import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import type { Stores } from "./deps.js";
import { sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { sensorIdParams } from "./schemas.js";
import { credentialsSchema, tags } from "./sensors-schemas.js";

/** Rotate a sensor's MQTT token. */
export function registerSensorTokenRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { sensors, revocations }: Stores,
): void {
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
}
