import { busConfig, ConfigError, databaseConfig, env, loadConfig, serviceProcessConfig } from "@sensorstream/runtime";
import { z } from "zod";

export const gatewayConfigSchema = z.object({
  ...busConfig,
  ...serviceProcessConfig,
  /** Read for sensor and subscriber credentials when MQTT_AUTH=required. */
  DATABASE_URL: databaseConfig.DATABASE_URL,
  /** required: username = sensor id, password = its token; open: anyone (local use only, logged loudly). */
  MQTT_AUTH: z.enum(["required", "open"]).default("required"),
  MQTT_HOST: z.string().default("0.0.0.0"),
  MQTT_PORT: env.port(1883),
  /** MQTT over WebSocket; 0 turns it off. */
  MQTT_WS_PORT: env.port(8083),
  /** MQTT over TLS; listens only when MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE are set. */
  MQTT_TLS_PORT: env.port(8883),
  /** MQTT over secure WebSocket (same certificate); 0 turns it off. */
  MQTT_WSS_PORT: env.port(8884),
  /** PEM certificate (chain) and private key of the TLS listeners. */
  MQTT_TLS_CERT_FILE: z.string().min(1).optional(),
  MQTT_TLS_KEY_FILE: z.string().min(1).optional(),
  /** PEM CA: when set, every client must present a certificate it signed whose CN is the MQTT username. */
  MQTT_TLS_CA_FILE: z.string().min(1).optional(),
  /** Read the client address from a PROXY protocol v1/v2 header (behind a load balancer that sends one). */
  MQTT_PROXY_PROTOCOL: env.flag(false),
  MAX_PAYLOAD_BYTES: env.int(256 * 1024, 64, 64 * 1024 * 1024),
  /**
   * Also publish every data message on its own as sensor_<id>.data (not mandatory), for queues of one's own bound to
   * it. The platform reads readings.bridged (a gateway turn's data messages in one message); false spares the broker
   * one publish per data message.
   */
  PER_SENSOR_DATA: env.flag(true),
  /**
   * How long the data messages of an event-loop turn that brought fewer than 16 wait for the next turns' to join them
   * in one readings.bridged message (0: each turn's go alone). Fewer, fuller messages spare the broker a queue entry
   * each, for fleets of many sensors that each publish now and then; the PUBACK waits as long at most.
   */
  BRIDGED_LINGER_MS: env.int(0, 0, 1_000),
  MQTT_MAX_CONNECTIONS: env.int(10_000, 1, 1_000_000),
  /** New connections per second allowed from one IP address (bursts of twice that). */
  MQTT_CONNECT_RATE: env.int(20, 1, 100_000),
  /** Connections that have not completed CONNECT yet, at most; further ones are closed at once. */
  MQTT_MAX_PENDING_CONNECTS: env.int(1_000, 1, 1_000_000),
  /** How long a new connection may take to send its CONNECT before it is closed. */
  MQTT_CONNECT_TIMEOUT_MS: env.int(10_000, 100, 120_000),
  /** How long a device publish waits for a lost RabbitMQ connection before the device is disconnected unacknowledged. */
  BUS_WAIT_MS: env.int(5_000, 0, 120_000),
  /** How often the gateway tells the registry which sensors it heard from. */
  ACTIVITY_INTERVAL_MS: env.int(2_000, 100, 60_000),
  /** How long a looked-up credential is trusted before it is read again. */
  CREDENTIAL_CACHE_MS: env.int(10_000, 0, 600_000),
});

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;

/** Both or neither: a certificate without its key (or the reverse) is a mistake, not a way to turn TLS off. */
const tlsPair = (c: GatewayConfig): string | undefined =>
  (c.MQTT_TLS_CERT_FILE === undefined) !== (c.MQTT_TLS_KEY_FILE === undefined)
    ? "MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE go together: set both to enable TLS, or neither"
    : c.MQTT_TLS_CA_FILE !== undefined && c.MQTT_TLS_CERT_FILE === undefined
      ? "MQTT_TLS_CA_FILE needs MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE (client certificates are checked over TLS)"
      : undefined;

export function loadGatewayConfig(source: Record<string, string | undefined> = process.env): Readonly<GatewayConfig> {
  const config = loadConfig(gatewayConfigSchema, source);
  const problem = tlsPair(config);
  if (problem) throw new ConfigError([problem]);
  return config;
}
