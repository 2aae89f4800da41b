import type { FastifyInstance } from "fastify";
import type { AccessPolicy } from "../../core/access.js";
import type { Stores } from "./deps.js";
import { registerSensorCrudRoutes } from "./sensors-crud.js";
import { registerSensorDeletionRoutes } from "./sensors-delete.js";
import { registerSensorPresenceRoutes } from "./sensors-presence.js";
import { registerSensorTokenRoutes } from "./sensors-token.js";

/** The /sensors routes, one use case per group; registration order fixes their order in the OpenAPI document. */
export function sensorRoutes(app: FastifyInstance, policy: AccessPolicy, stores: Stores): void {
  registerSensorCrudRoutes(app, policy, stores);
  registerSensorDeletionRoutes(app, policy, stores);
  registerSensorTokenRoutes(app, policy, stores);
  registerSensorPresenceRoutes(app, policy, stores);
}
