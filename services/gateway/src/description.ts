import { defineService } from "@sensorstream/runtime";
import { gatewayConfigSchema } from "./config.js";
import { startGateway } from "./service.js";

/** MQTT in, RabbitMQ out: what main.ts, npm start and the tests run. */
export const gatewayService = defineService({
  name: "gateway",
  configSchema: gatewayConfigSchema,
  start: (config, deps) => startGateway(config, deps),
});
