import { CURRENT_SCHEMA_VERSION, SCHEMA_VERSION_HEADER } from "@sensorstream/contracts";
import { counter, histogram, LATENCY_BUCKETS, type Logger, type Registry } from "@sensorstream/runtime";
import type { ConfirmChannel } from "amqplib";
import type { BusConnection } from "./connection.js";

export const PUBLISH_FAILURES = ["unroutable", "nacked", "unavailable", "closed"] as const;
export type PublishFailure = (typeof PUBLISH_FAILURES)[number];

export class PublishError extends Error {
  constructor(
    readonly code: PublishFailure,
    message: string,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

export type PublishOptions = {
  messageId: string;
  headers?: Record<string, unknown>;
  /** Defaults to the publisher's exchange. */
  exchange?: string;
  contentType?: string;
  timestamp?: number;
  /**
   * Default true: a message no queue takes is a failure. Broadcast events that are fine to miss when
   * nobody listens (presence changes) set it to false.
   */
  mandatory?: boolean;
  /**
   * The contract version of the body, sent as the x-schema-version header; default CURRENT_SCHEMA_VERSION.
   * null for bytes that follow no platform contract (a device's raw payload in a dead letter).
   */
  schemaVersion?: number | null;
};

/** The AMQP headers of a publish: the caller's, plus the schema version unless it is null. */
export function publishHeaders(o: PublishOptions): Record<string, unknown> | undefined {
  const version = o.schemaVersion === undefined ? CURRENT_SCHEMA_VERSION : o.schemaVersion;
  if (version === null) return o.headers;
  return { ...o.headers, [SCHEMA_VERSION_HEADER]: version };
}

export type ConfirmPublisherOptions = {
  exchange: string;
  logger: Logger;
  registry: Registry;
  /** How long a publish waits for a lost connection to come back before failing as "unavailable". */
  waitForConnectionMs?: number;
};

/**
 * Publishes persistent messages with `mandatory` on a confirm channel. A publish resolves only when
 * RabbitMQ has confirmed it into at least one queue: a nack, a return (no queue bound) or a lost
 * channel rejects it, so the caller can withhold its own acknowledgement.
 */
export class ConfirmPublisher {
  readonly #bus: BusConnection;
  readonly #opts: ConfirmPublisherOptions;
  #channel: ConfirmChannel | undefined;
  readonly #returned = new Set<string>();
  #drained: Promise<void> | undefined;
  readonly #outcomes;
  readonly #latency;

  constructor(bus: BusConnection, opts: ConfirmPublisherOptions) {
    this.#bus = bus;
    this.#opts = opts;
    this.#outcomes = counter(opts.registry, {
      name: "sensorstream_bus_publishes_total",
      help: "Confirmed publishes by outcome",
      labelNames: ["outcome"],
    });
    this.#latency = histogram(opts.registry, {
      name: "sensorstream_bus_publish_confirm_seconds",
      help: "Time from publish to broker confirm",
      buckets: LATENCY_BUCKETS,
    });
  }

  /** Opens the confirm channel on every (re)connect. */
  async attach(): Promise<void> {
    await this.#bus.addSetup(async (conn) => {
      const ch = await conn.createConfirmChannel();
      ch.on("return", (msg) => {
        const id = msg.properties.messageId as string | undefined;
        if (id) this.#returned.add(id);
      });
      ch.on("error", (err: Error) => this.#opts.logger.warn({ err }, "publish channel error"));
      ch.on("close", () => {
        if (this.#channel === ch) {
          this.#channel = undefined;
          this.#bus.drop("publish channel closed");
        }
      });
      ch.on("drain", () => {
        this.#drained = undefined;
      });
      this.#channel = ch;
    });
  }

  get ready(): boolean {
    return this.#channel !== undefined && this.#bus.connected;
  }

  async publish(routingKey: string, content: Buffer, o: PublishOptions): Promise<void> {
    const end = this.#latency.startTimer();
    try {
      await this.#publishOnce(routingKey, content, o);
      this.#outcomes.inc({ outcome: "ok" });
      end();
    } catch (err) {
      this.#outcomes.inc({ outcome: err instanceof PublishError ? err.code : "closed" });
      throw err;
    }
  }

  async #publishOnce(routingKey: string, content: Buffer, o: PublishOptions): Promise<void> {
    let ch = this.#channel;
    if (!ch || !this.#bus.connected) {
      await this.#bus.waitConnected(this.#opts.waitForConnectionMs ?? 5_000);
      ch = this.#channel;
      if (!ch || !this.#bus.connected) {
        throw new PublishError("unavailable", `RabbitMQ is unavailable (${this.#bus.lastError ?? "not connected"})`);
      }
    }
    if (this.#drained) await this.#drained;
    const exchange = o.exchange ?? this.#opts.exchange;
    const headers = publishHeaders(o);
    return new Promise<void>((resolve, reject) => {
      let ok: boolean;
      try {
        ok = ch.publish(
          exchange,
          routingKey,
          content,
          {
            persistent: true,
            mandatory: o.mandatory ?? true,
            messageId: o.messageId,
            contentType: o.contentType ?? "application/json",
            timestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
            ...(headers ? { headers } : {}),
          },
          (err) => {
            // basic.return arrives before basic.ack for the same message, so the set is current.
            const returned = this.#returned.delete(o.messageId);
            if (err) reject(new PublishError("nacked", `RabbitMQ did not confirm the message: ${String(err)}`));
            else if (returned)
              reject(new PublishError("unroutable", `no queue is bound for ${exchange}/${routingKey}`));
            else resolve();
          },
        );
      } catch (err) {
        reject(new PublishError("closed", `publish failed: ${(err as Error).message}`));
        return;
      }
      if (!ok && !this.#drained) {
        this.#drained = new Promise((r) => {
          ch.once("drain", () => r());
          ch.once("close", () => r());
        });
      }
    });
  }
}
