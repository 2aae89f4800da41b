import type { Logger } from "@sensorstream/runtime";
import type { Aedes, Client, PublishPacket } from "aedes";
import { isPlatformTopic } from "../../core/access.js";
import type { ActivityTracker } from "../../core/activity.js";
import { decide } from "../../core/bridge.js";
import type { BridgedReadings } from "../bridged-readings.js";
import type { DeadLetters, Publisher } from "../gateway-bus.js";
import type { GatewayMetrics } from "../metrics.js";
import type { Sessions } from "../sessions.js";

export type PublishOptions = {
  sessions: Sessions;
  publisher: Publisher;
  /** Data messages as the platform reads them: one readings.bridged message per turn (the record). */
  bridged: BridgedReadings;
  /** Also publish each data message on its own as sensor_<id>.data (PER_SENSOR_DATA), for queues of one's own. */
  perSensorData: boolean;
  deadLetters: DeadLetters;
  activity: ActivityTracker;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: () => number;
  newId: () => string;
  maxPayloadBytes: number;
};

type Outcome = "forward" | "drop";

/**
 * PUBLISH and Last Will: the bridge to RabbitMQ, and a refusal that is total.
 *
 * The bridge runs in aedes' authorizePublish hook, which precedes the PUBACK, so a device gets its PUBACK only after
 * RabbitMQ confirmed the message. A refused publish is acknowledged to the device (MQTT 3.1.1 has no negative ack;
 * closing the connection would make the device resend it forever) once its dead letter is durable, and then goes
 * nowhere: aedes 1.x cannot drop an authorized-but-refused packet (moscajs/aedes#210), so the broker's publish is
 * wrapped and skips such packets entirely (no retained store, no offline queue, no live subscriber).
 */
export class PublishHandler {
  readonly #o: PublishOptions;
  /** Packets refused in authorizePublish, which aedes hands to broker.publish next. */
  readonly #refused = new WeakSet<object>();
  #inFlight = 0;

  constructor(o: PublishOptions) {
    this.#o = o;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  install(broker: Aedes): void {
    broker.authorizePublish = (client, packet, callback) => this.#authorize(client, packet, callback);
    // Defence in depth: a client-originated packet on a platform topic is never delivered, whatever let it through.
    broker.authorizeForward = (_client, packet) =>
      (packet as { clientId?: string }).clientId !== undefined && isPlatformTopic(packet.topic) ? null : packet;
    // aedes calls publish(packet, client, done) internally; the public typing only knows publish(packet, done).
    type Publish = (p: PublishPacket, c: Client | null | ((e?: Error) => void), done?: (e?: Error) => void) => void;
    const internals = broker as unknown as { publish: Publish };
    const publish = internals.publish.bind(broker);
    internals.publish = (packet, client, done) => {
      if (typeof client === "function") return publish(packet, client);
      if (this.#refused.has(packet)) {
        this.#refused.delete(packet);
        return (done ?? (() => {}))();
      }
      publish(packet, client, done);
    };
  }

  #authorize(client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (packet.topic.startsWith("$")) {
      this.#o.metrics.rejected.inc({ reason: "invalid_topic" });
      callback(new Error(`${packet.topic.slice(0, 40)}: topics starting with $ are reserved`));
      return;
    }
    const end = this.#o.metrics.bridgeSeconds.startTimer();
    this.#inFlight++;
    this.#bridge(client, packet).then(
      (outcome) => {
        this.#inFlight--;
        end();
        if (outcome === "drop") this.#refused.add(packet);
        callback(null);
      },
      (err: Error) => {
        this.#inFlight--;
        this.#o.metrics.messages.inc({ kind: "unknown", outcome: "transient" });
        this.#o.logger.warn(
          { err, client_id: client?.id, topic: packet.topic.slice(0, 200) },
          "cannot hand the publish to RabbitMQ; disconnecting the client without PUBACK so it retries",
        );
        callback(err);
      },
    );
  }

  async #bridge(client: Client | null, packet: PublishPacket): Promise<Outcome> {
    const o = this.#o;
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    o.metrics.bytes.inc(payload.byteLength);
    const msgId = o.newId();
    const session = o.sessions.get(client);
    const receivedUs = o.clock() * 1000;
    const isWill = client !== null && packet === (client as unknown as { will?: unknown }).will;
    if (isWill && session?.superseded && !session.revoked) {
      // Session takeover: the same client reconnected, so its old Last Will ("offline") would be wrong.
      o.metrics.rejected.inc({ reason: "stale_will" });
      return "drop";
    }
    const d = decide({
      identity: client ? o.sessions.identityOf(client) : undefined,
      revoked: session?.revoked,
      topic: packet.topic,
      payload,
      msgId,
      receivedUs,
      maxPayloadBytes: o.maxPayloadBytes,
      connectedAtUs: session?.connectedAtUs,
    });
    if (d.action === "publish") {
      if (d.kind !== "data") await o.publisher.publish(d.routingKey, d.body, { messageId: msgId });
      else if (!o.perSensorData) await o.bridged.add(d.body);
      else {
        // The record is the turn's readings.bridged (mandatory: the platform's queues take it). The message on its own
        // is for queues of the operator's own: not mandatory, as no queue of the platform is bound to it. Acknowledged
        // once both are confirmed, so such a queue gets every acknowledged reading too.
        const copy = o.publisher.publish(d.routingKey, d.body, { messageId: msgId, mandatory: false });
        await Promise.all([copy, o.bridged.add(d.body)]);
      }
      o.metrics.messages.inc({ kind: d.kind, outcome: "ok" });
      if (d.kind === "data") o.metrics.readings.inc(d.readings);
      // Heard from at receive time (not confirm time); a Last Will is the broker speaking for a dead client.
      if (!isWill) o.activity.touch(d.sensorId, receivedUs, d.position);
      return "forward";
    }
    await o.deadLetters.publish({
      reason: d.reason,
      error: d.error,
      source: "gateway",
      body: d.body,
      messageId: msgId,
      routingKey: d.routingKey,
      topic: packet.topic,
      originalBytes: d.originalBytes,
      ...(d.sensorId === undefined ? {} : { sensorId: d.sensorId }),
    });
    o.metrics.rejected.inc({ reason: d.reason });
    o.metrics.messages.inc({ kind: d.kind ?? "unknown", outcome: "invalid" });
    if (d.reason === "not_authorized") o.metrics.refused.inc({ action: isWill ? "will" : "publish" });
    o.logger.warn(
      {
        sensor_id: d.sensorId,
        client_id: client?.id,
        topic: packet.topic.slice(0, 200),
        reason: d.reason,
        error: d.error,
      },
      isWill ? "refused Last Will" : "refused device publish",
    );
    return "drop";
  }
}
