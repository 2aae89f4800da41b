import { env, loadConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const gatewayConfigSchema = z.object({
  AMQP_URL: env.url("amqp://guest:guest@localhost:5672", ["amqp:", "amqps:"]),
  MQTT_HOST: z.string().default("0.0.0.0"),
  MQTT_PORT: env.port(1883),
  /** MQTT over WebSocket; 0 turns it off. */
  MQTT_WS_PORT: env.port(8083),
  HTTP_HOST: z.string().default("0.0.0.0"),
  HTTP_PORT: env.port(8080),
  MAX_PAYLOAD_BYTES: env.int(256 * 1024, 64, 64 * 1024 * 1024),
  /** How long a device publish waits for a lost RabbitMQ connection before the device is disconnected unacknowledged. */
  BUS_WAIT_MS: env.int(5_000, 0, 120_000),
  DRAIN_TIMEOUT_MS: env.int(20_000, 1_000, 600_000),
  LOG_LEVEL: env.logLevel(),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

export const loadGatewayConfig = (source: Record<string, string | undefined> = process.env): Readonly<GatewayConfig> =>
  loadConfig(gatewayConfigSchema, source);
