import type { Logger } from "@sensorstream/runtime";
import type { Channel, ChannelModel, ConsumeMessage } from "amqplib";
import type { BusConnection, Setup } from "./connection.js";

/**
 * An append-only log on the bus (a RabbitMQ stream queue): what is published to its bindings is kept for
 * `maxAgeSeconds` (and at most `maxBytes`), numbered by an offset that is the same for every reader, and read by
 * any number of readers from any offset without being consumed. What the live stream (SSE) resumes from.
 */
export type LogSpec = {
  name: string;
  /** Binding keys on the sensor_streaming exchange. */
  bindings: readonly string[];
  /** Entries older than this may go (a broker drops whole segments, so some live a little longer). */
  maxAgeSeconds: number;
  maxBytes: number;
};

export type LogEntry = {
  /** Increasing, gap-free as appended, the same for every reader of the log. */
  readonly offset: number;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly messageId: string | undefined;
  readonly headers: Record<string, unknown>;
};

export type ReadLogOptions = {
  log: string;
  /**
   * The first offset wanted, or "next" for entries appended from now on. An offset older than what the log still
   * holds starts at the oldest entry kept (the reader sees the jump in the offsets).
   */
  from: number | "next";
  onEntry: (e: LogEntry) => void;
};

/** A running reader; after a lost connection it carries on from the entry after the last one it handed over. */
export type LogReader = {
  readonly ready: boolean;
  close(): Promise<void>;
};

/** Stream queue arguments: one place, as for the quorum queues (arguments cannot change once the queue exists). */
export function logArguments(spec: LogSpec): Record<string, unknown> {
  return { "x-queue-type": "stream", "x-max-age": `${spec.maxAgeSeconds}s`, "x-max-length-bytes": spec.maxBytes };
}

/** Entries in flight per reader: RabbitMQ requires a prefetch for stream consumers. */
const LOG_PREFETCH = 200;

/**
 * Reads a stream queue over AMQP 0-9-1 (`x-stream-offset`). Acks only pace the broker (a stream keeps its entries);
 * the offset of each entry is in its `x-stream-offset` header. A resumed read may start at the beginning of the
 * broker's chunk, so entries below the wanted offset are skipped here.
 */
export class RabbitLogReader implements LogReader {
  #channel: Channel | undefined;
  #ready = false;
  #stopped = false;
  #next: number | "next";

  constructor(
    private readonly connection: BusConnection,
    private readonly opts: ReadLogOptions & { logger: Logger },
  ) {
    this.#next = opts.from;
  }

  get ready(): boolean {
    return this.#ready;
  }

  readonly #setup: Setup = (conn) => this.#subscribe(conn);

  async attach(): Promise<void> {
    await this.connection.addSetup(this.#setup);
  }

  async #subscribe(conn: ChannelModel): Promise<void> {
    {
      if (this.#stopped) return;
      const ch = await conn.createChannel();
      ch.on("error", (err: Error) => this.opts.logger.warn({ err, log: this.opts.log }, "log reader channel error"));
      ch.on("close", () => {
        if (this.#channel !== ch) return;
        this.#channel = undefined;
        this.#ready = false;
        // As QueueConsumer does: a channel lost on a live connection is rebuilt by rebuilding the connection.
        if (!this.#stopped) this.connection.drop(`log reader channel for ${this.opts.log} closed`);
      });
      await ch.prefetch(LOG_PREFETCH);
      this.#channel = ch;
      const from = this.#next;
      await ch.consume(
        this.opts.log,
        (msg: ConsumeMessage | null) => {
          if (msg === null || this.#stopped) return;
          ch.ack(msg);
          const offset = Number(msg.properties.headers?.["x-stream-offset"]);
          if (!Number.isFinite(offset) || (typeof this.#next === "number" && offset < this.#next)) return;
          this.#next = offset + 1;
          this.opts.onEntry({
            offset,
            routingKey: msg.fields.routingKey,
            content: msg.content,
            messageId: msg.properties.messageId as string | undefined,
            headers: (msg.properties.headers ?? {}) as Record<string, unknown>,
          });
        },
        { noAck: false, arguments: { "x-stream-offset": from } },
      );
      this.#ready = true;
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    this.connection.removeSetup(this.#setup);
    this.#ready = false;
    const ch = this.#channel;
    this.#channel = undefined;
    await ch?.close().catch(() => {});
  }
}
