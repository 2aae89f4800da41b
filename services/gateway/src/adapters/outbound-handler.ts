import { type CommandDelivered, commandDeliveredRoutingKey } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { Aedes, Client, PublishPacket } from "aedes";
import { filterCovers, sensorOf } from "../core/access.js";
import { decideOutbound } from "../core/outbound.js";
import type { Publisher } from "./gateway-bus.js";
import type { GatewayMetrics } from "./metrics.js";
import type { Sessions } from "./sessions.js";

export type OutboundOptions = {
  broker: Aedes;
  sessions: Sessions;
  publisher: Publisher;
  metrics: GatewayMetrics;
  logger: Logger;
  gatewayId: string;
  clock: () => number;
  newId: () => string;
};

/**
 * Bus → MQTT on this replica: commands to the sensors connected here, alerts to the subscribers connected here.
 *
 * Best effort per replica: the queue is this replica's own, non-durable and consumed without acks, so a message is
 * handled once and never redelivered or dead-lettered (an invalid one is counted and logged, and gone). Durability is
 * the command service's: it holds a command until a replica reports `commands.delivered`, and sends again on presence.
 * Publishes go through the broker as the platform (no client), which the publish wrapper lets through; never retained.
 */
export class OutboundHandler {
  constructor(private readonly o: OutboundOptions) {}

  /** One message from this replica's queue; never throws (nothing could redeliver it anyway). */
  async onMessage(routingKey: string, content: Buffer): Promise<void> {
    try {
      await this.#handle(routingKey, content);
    } catch (err) {
      this.o.metrics.outbound.inc({ kind: "unknown", outcome: "error" });
      this.o.logger.warn({ err, routing_key: routingKey.slice(0, 200) }, "cannot hand an outbound message to MQTT");
    }
  }

  async #handle(routingKey: string, content: Buffer): Promise<void> {
    const o = this.o;
    const d = decideOutbound(routingKey, content, o.clock());
    switch (d.action) {
      case "invalid":
        o.metrics.outbound.inc({ kind: d.kind, outcome: "invalid" });
        o.logger.warn(
          { routing_key: routingKey.slice(0, 200), error: d.error },
          "ignoring an invalid outbound message",
        );
        return;
      case "expired":
        o.metrics.outbound.inc({ kind: "command", outcome: "expired" });
        return;
      case "alert":
        await this.#publish(d.topic, d.payload);
        o.metrics.outbound.inc({ kind: "alert", outcome: "published" });
        return;
      case "command": {
        const client = this.#liveSensor(d.sensorId, d.topic);
        if (!client) {
          o.metrics.outbound.inc({ kind: "command", outcome: "not_here" });
          return;
        }
        await this.#publish(d.topic, d.payload);
        o.metrics.outbound.inc({ kind: "command", outcome: "delivered" });
        await this.#report(d.sensorId, d.command.command_id);
        return;
      }
    }
  }

  /**
   * The sensor's live connection on this replica, if it subscribed to the command's topic: a connection that has not
   * subscribed (yet) would not receive it, so it counts as absent and the command service keeps the command queued.
   */
  #liveSensor(sensorId: string, topic: string): Client | undefined {
    // A sensor's client id is its sensor id (enforced at CONNECT with MQTT_AUTH=required, the identity in open mode).
    const client = (this.o.broker as unknown as { clients: Record<string, Client | undefined> }).clients[sensorId];
    if (!client || client.closed || this.o.sessions.get(client)?.revoked) return undefined;
    if (sensorOf(this.o.sessions.identityOf(client)) !== sensorId) return undefined;
    const filters = Object.keys((client as unknown as { subscriptions: Record<string, unknown> }).subscriptions);
    return filters.some((f) => filterCovers(f, topic)) ? client : undefined;
  }

  #publish(topic: string, payload: Buffer): Promise<void> {
    const packet: PublishPacket = { cmd: "publish", topic, payload, qos: 1, dup: false, retain: false };
    return new Promise((resolve, reject) => this.o.broker.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  /** Tells the command service the command reached the live connection; a failure leaves it queued (resent later). */
  async #report(sensorId: string, commandId: string): Promise<void> {
    const o = this.o;
    const msgId = o.newId();
    const body: CommandDelivered = {
      msg_id: msgId,
      sensor_id: sensorId,
      command_id: commandId,
      gateway_id: o.gatewayId,
      delivered_at: new Date(o.clock()).toISOString(),
    };
    try {
      await o.publisher.publish(commandDeliveredRoutingKey(sensorId), Buffer.from(JSON.stringify(body)), {
        messageId: msgId,
      });
    } catch (err) {
      o.metrics.outbound.inc({ kind: "command", outcome: "report_failed" });
      o.logger.warn({ err, sensor_id: sensorId, command_id: commandId }, "cannot report a delivered command");
    }
  }
}
