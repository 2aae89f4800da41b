import { DEAD_LETTER_EXCHANGE, type RejectReason } from "@sensorstream/contracts";
import { counter, type Registry } from "@sensorstream/runtime";
import type { PublishOptions } from "./publisher.js";

/** Where dead letters go: a confirmed publish (ConfirmPublisher, or a Bus implementation's own). */
export type Publish = (routingKey: string, content: Buffer, o: PublishOptions) => Promise<void>;

/** Headers a dead letter carries; consumers of dead_letters rely on these names. */
export const DEAD_LETTER_HEADERS = {
  reason: "x-reason",
  error: "x-error",
  source: "x-source",
  sensorId: "x-sensor-id",
  topic: "x-original-topic",
  routingKey: "x-original-routing-key",
  originalBytes: "x-original-bytes",
} as const;

export type DeadLetter = {
  reason: RejectReason;
  error: string;
  /** The service that rejected it. */
  source: string;
  body: Buffer;
  messageId: string;
  routingKey: string;
  sensorId?: string;
  topic?: string;
  originalBytes?: number;
  /** The x-schema-version of the rejected bus message; absent for a device's raw payload. */
  schemaVersion?: number;
};

/** The headers a dead letter carries. */
export function deadLetterHeaders(d: DeadLetter): Record<string, unknown> {
  const h = DEAD_LETTER_HEADERS;
  const headers: Record<string, unknown> = {
    [h.reason]: d.reason,
    [h.error]: d.error.slice(0, 1000),
    [h.source]: d.source,
    [h.routingKey]: d.routingKey,
  };
  if (d.sensorId !== undefined) headers[h.sensorId] = d.sensorId;
  if (d.topic !== undefined) headers[h.topic] = d.topic.slice(0, 500);
  if (d.originalBytes !== undefined) headers[h.originalBytes] = d.originalBytes;
  return headers;
}

/** Publishes rejected input, with its reason in headers, to the dead-letter exchange (confirmed). */
export class DeadLetterPublisher {
  readonly #publish: Publish;
  readonly #count;

  constructor(publisher: { publish: Publish }, registry: Registry) {
    this.#publish = (key, content, o) => publisher.publish(key, content, o);
    this.#count = counter(registry, {
      name: "sensorstream_dead_letters_total",
      help: "Messages dead-lettered by the platform, by the service that rejected them and why",
      labelNames: ["source", "reason"],
    });
  }

  async publish(d: DeadLetter): Promise<void> {
    await this.#publish(d.routingKey, d.body, {
      messageId: d.messageId,
      exchange: DEAD_LETTER_EXCHANGE,
      headers: deadLetterHeaders(d),
      contentType: "application/octet-stream",
      schemaVersion: d.schemaVersion ?? null,
    });
    this.#count.inc({ source: d.source, reason: d.reason });
  }
}
