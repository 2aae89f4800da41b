import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { AlarmAdmin } from "@sensorstream/alarms";
import { CommandAdmin } from "@sensorstream/commands";
import type { Pool } from "@sensorstream/db";
import { type Logger, type Registry, VERSION } from "@sensorstream/runtime";
import { SensorAdmin, SubscriberAdmin } from "@sensorstream/sensors";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, validatorCompiler } from "fastify-type-provider-zod";
import { noRevocations, type Revocations } from "./adapters/bus/revocations.js";
import { connectSensorEvents } from "./adapters/bus/sensor-events.js";
import { alarmRoutes } from "./adapters/http/alarms.js";
import { commandRoutes } from "./adapters/http/commands.js";
import type { Stores } from "./adapters/http/deps.js";
import { ApiError, apiErrorHandler, errorBody } from "./adapters/http/errors.js";
import { logRoutes } from "./adapters/http/logs.js";
import { measurementRoutes } from "./adapters/http/measurements.js";
import { measurementFleetRoutes } from "./adapters/http/measurements-fleet.js";
import { measurementRangeRoutes } from "./adapters/http/measurements-range.js";
import { sensorRoutes } from "./adapters/http/sensors.js";
import { streamRoutes } from "./adapters/http/stream.js";
import { subscriberRoutes } from "./adapters/http/subscribers.js";
import { trackRoutes } from "./adapters/http/track.js";
import { LogStore } from "./adapters/pg/log-store.js";
import { MeasurementStore } from "./adapters/pg/measurement-store.js";
import { RangeStore, RollupCatalog } from "./adapters/pg/range-store.js";
import type { AccessPolicy } from "./core/access.js";

export type ApiDeps = {
  pool: Pool;
  /** RabbitMQ, for the events the API publishes (a sensor's deletion, for the services owning its data). */
  amqpUrl: string;
  logger: Logger;
  /** Metrics of the API's bus connection. */
  registry: Registry;
  auth: AccessPolicy;
  /** Told after a token rotation or a sensor or subscriber deletion committed (credentials.revoked). */
  revocations?: Revocations;
  /** Epoch milliseconds; tests may pin it. */
  clock?: () => number;
};

const DESCRIPTION = `Sensors, their presence, logs and latest readings, commands, alarm rules and alarms, and read-only MQTT
credentials.

**Authentication.** Write routes need \`Authorization: Bearer <API_TOKEN>\`. Read routes need it too unless the
server runs with \`API_READ_ACCESS=open\`. Without a configured token, routes that need one answer 503.

**Errors** are JSON: \`{"error": {"code": "<stable snake_case>", "message": "<what to fix>", "details": [...]}}\`.

**Pages.** Lists return \`limit\` items and a cursor (\`next_after\` or \`next_before\`) to pass back for the next
page; it is null on the last page.`;

/**
 * Adds the HTTP API to the process's fastify instance: routes under /api, the OpenAPI document at
 * /openapi.json, Swagger UI at /docs, and JSON 404s. The standalone api service and the all-in-one
 * process both call it; routes registered after it (in any plugin) appear in /openapi.json too.
 */
export async function registerApi(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const events = await connectSensorEvents({ url: deps.amqpUrl, logger: deps.logger, registry: deps.registry });
  app.addHook("onClose", () => events.close());
  const stores: Stores = {
    announce: events.announce,
    alarms: new AlarmAdmin(deps.pool, deps.clock),
    commands: new CommandAdmin(deps.pool, deps.clock),
    sendCommand: events.sendCommand,
    readLive: events.readLive,
    sensors: new SensorAdmin(deps.pool),
    subscribers: new SubscriberAdmin(deps.pool),
    logs: new LogStore(deps.pool),
    measurements: new MeasurementStore(deps.pool),
    ranges: new RangeStore(deps.pool),
    rollups: new RollupCatalog(deps.pool),
    revocations: deps.revocations ?? noRevocations,
  };
  const clock = deps.clock ?? Date.now;

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "sensorstream API", version: VERSION, description: DESCRIPTION },
      tags: [
        { name: "sensors", description: "the registry: provisioning, metadata, presence" },
        { name: "logs", description: "what sensors logged" },
        { name: "measurements", description: "readings" },
        { name: "stream", description: "live events (Server-Sent Events)" },
        { name: "subscribers", description: "read-only MQTT credentials" },
        {
          name: "commands",
          description: "sleep, awake, change_sample_frequency: issued, sent, acked, failed or expired",
        },
        { name: "alarms", description: "alarm rules, and alarms raised, acknowledged and cleared" },
      ],
      components: {
        securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "the server's API_TOKEN" } },
      },
    },
    hideUntagged: true,
    transform: jsonSchemaTransform,
  });
  // The UI and its assets come from the npm package: /docs works without internet access.
  await app.register(swaggerUi, { routePrefix: "/docs", uiConfig: { docExpansion: "list", deepLinking: true } });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0] ?? req.url;
    reply
      .code(404)
      .send(
        errorBody(
          new ApiError(404, "route_not_found", `no route ${req.method} ${path}; the API is described at /docs`),
        ),
      );
  });

  await app.register(
    async (api) => {
      // zod parses every request part (fastify-type-provider-zod; see addRoute). Responses are written as
      // the handlers built them: their schemas are documentation, not a second check on the way out.
      api.setValidatorCompiler(validatorCompiler);
      api.setSerializerCompiler(() => (data) => JSON.stringify(data));
      api.setErrorHandler(apiErrorHandler(deps.logger));
      // Bodies are JSON; anything else is a 415 rather than a string for zod to puzzle over.
      api.removeContentTypeParser("text/plain");
      sensorRoutes(api, deps.auth, stores);
      logRoutes(api, deps.auth, stores);
      measurementRoutes(api, deps.auth, stores, clock);
      measurementRangeRoutes(api, deps.auth, stores, clock);
      measurementFleetRoutes(api, deps.auth, stores, clock);
      trackRoutes(api, deps.auth, stores, clock);
      streamRoutes(api, deps.auth, stores, deps.logger);
      subscriberRoutes(api, deps.auth, stores);
      commandRoutes(api, deps.auth, stores, deps.logger);
      alarmRoutes(api, deps.auth, stores);
    },
    { prefix: "/api" },
  );
}
