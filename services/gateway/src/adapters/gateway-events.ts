import { randomUUID } from "node:crypto";
import {
  type ActivityReport,
  type ConnectionEvent,
  connectionRoutingKey,
  formatMicros,
  GATEWAY_ACTIVITY_ROUTING_KEY,
} from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { ActivityTracker } from "../core/activity.js";
import type { Publisher } from "./gateway-bus.js";
import type { GatewayMetrics } from "./metrics.js";

/** Tells the registry what the gateway sees: connections opening and closing, and who was heard from. */
export class GatewayEvents {
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** Connection events on their way to RabbitMQ: stop() waits for them, so the last disconnects are not lost. */
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly o: {
      gatewayId: string;
      publisher: Publisher;
      activity: ActivityTracker;
      intervalMs: number;
      logger: Logger;
      metrics: GatewayMetrics;
      clock: () => number;
    },
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      this.#flushing = this.#flushing.then(() => this.flushActivity());
    }, this.o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#pending);
    await this.#flushing;
    await this.flushActivity();
  }

  connection(c: {
    sensorId: string;
    clientId: string;
    connected: boolean;
    clean: boolean;
    connectedAtUs: number | undefined;
  }): void {
    const { sensorId } = c;
    const msgId = randomUUID();
    const event: ConnectionEvent = {
      msg_id: msgId,
      sensor_id: sensorId,
      received_at: formatMicros(c.connected && c.connectedAtUs !== undefined ? c.connectedAtUs : this.o.clock() * 1000),
      connected: c.connected,
      clean: c.clean,
      client_id: c.clientId,
      ...(c.connectedAtUs === undefined ? {} : { connected_at: formatMicros(c.connectedAtUs) }),
    };
    const sent: Promise<void> = this.o.publisher
      .publish(connectionRoutingKey(sensorId), Buffer.from(JSON.stringify(event)), { messageId: msgId })
      .then(
        () => this.o.metrics.events.inc({ event: "connection", outcome: "ok" }),
        (err) => {
          this.o.metrics.events.inc({ event: "connection", outcome: "failed" });
          this.o.logger.warn({ err, sensor_id: sensorId }, "could not report a connection change to the registry");
        },
      )
      .finally(() => this.#pending.delete(sent));
    this.#pending.add(sent);
  }

  async flushActivity(): Promise<void> {
    if (this.o.activity.size === 0) return;
    const seen = this.o.activity.drain();
    const msgId = randomUUID();
    const report: ActivityReport = {
      msg_id: msgId,
      gateway_id: this.o.gatewayId,
      received_at: formatMicros(this.o.clock() * 1000),
      sensors: [...seen].map(([sensorId, s]) => ({
        sensor_id: sensorId,
        last_seen: formatMicros(s.lastUs),
        ...(s.lat !== undefined && s.lon !== undefined && s.positionUs !== undefined
          ? { lat: s.lat, lon: s.lon, position_at: formatMicros(s.positionUs) }
          : {}),
      })),
    };
    try {
      await this.o.publisher.publish(GATEWAY_ACTIVITY_ROUTING_KEY, Buffer.from(JSON.stringify(report)), {
        messageId: msgId,
      });
      this.o.metrics.events.inc({ event: "activity", outcome: "ok" });
    } catch (err) {
      this.o.activity.restore(seen);
      this.o.metrics.events.inc({ event: "activity", outcome: "failed" });
      this.o.logger.warn({ err }, "could not report activity to the registry; will retry");
    }
  }
}
