import { EXCHANGE } from "@sensorstream/contracts";
import type { Logger, Registry } from "@sensorstream/runtime";
import { BusConnection } from "./connection.js";
import { QueueConsumer } from "./consumer.js";
import { type DeadLetter, DeadLetterPublisher } from "./dead-letter.js";
import { type LogReader, type LogSpec, logArguments, RabbitLogReader, type ReadLogOptions } from "./log.js";
import type { Bus, ConsumeOptions, Subscription } from "./port.js";
import { ConfirmPublisher, type PublishOptions } from "./publisher.js";
import { declareTopology, type QueueSpec } from "./topology.js";

export type RabbitBusOptions = {
  /** An existing connection to share (e.g. with a service's own publishers); else one is opened from url. */
  connection?: BusConnection;
  url?: string;
  /** The AMQP connection name (management UI, logs). */
  name: string;
  logger: Logger;
  registry: Registry;
  /** How long a publish waits for a lost connection to come back before failing as "unavailable". */
  waitForConnectionMs?: number;
};

/**
 * The Bus port on RabbitMQ, built on BusConnection, ConfirmPublisher and QueueConsumer (see BusConnection for why
 * we keep our own connection handling instead of amqp-connection-manager).
 */
export class RabbitBus implements Bus {
  readonly connection: BusConnection;
  readonly #owned: boolean;
  readonly #opts: RabbitBusOptions;
  readonly #publisher: ConfirmPublisher;
  readonly #deadLetters: DeadLetterPublisher;
  readonly #attached: Promise<void>;
  readonly #subscriptions = new Set<QueueConsumer>();
  readonly #readers = new Set<RabbitLogReader>();

  constructor(opts: RabbitBusOptions) {
    this.#opts = opts;
    this.#owned = opts.connection === undefined;
    if (opts.connection) this.connection = opts.connection;
    else if (opts.url) {
      this.connection = new BusConnection({
        url: opts.url,
        name: opts.name,
        logger: opts.logger,
        registry: opts.registry,
      });
    } else throw new Error("RabbitBus needs a connection or a url");
    this.#publisher = new ConfirmPublisher(this.connection, {
      exchange: EXCHANGE,
      logger: opts.logger,
      registry: opts.registry,
      ...(opts.waitForConnectionMs === undefined ? {} : { waitForConnectionMs: opts.waitForConnectionMs }),
    });
    // addSetup registers synchronously, so the publish channel is part of every (re)connect from here on.
    this.#attached = this.#publisher.attach();
    this.#deadLetters = new DeadLetterPublisher(this.#publisher, opts.registry);
  }

  get connected(): boolean {
    return this.connection.connected && this.#publisher.ready;
  }

  async declare(queues: readonly QueueSpec[]): Promise<void> {
    await this.connection.addSetup(async (conn) => {
      const ch = await conn.createChannel();
      await declareTopology(ch, queues);
      await ch.close();
    });
  }

  async publish(routingKey: string, content: Buffer, options: PublishOptions): Promise<void> {
    await this.#attached;
    await this.#publisher.publish(routingKey, content, options);
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    await this.#attached;
    await this.#deadLetters.publish(letter);
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    const consumer = new QueueConsumer(this.connection, {
      queue: options.queue,
      prefetch: options.prefetch,
      logger: this.#opts.logger,
      onMessage: options.onMessage,
      ...(options.onChannelLost ? { onChannelLost: options.onChannelLost } : {}),
      ...(options.onSubscribed ? { onSubscribed: options.onSubscribed } : {}),
    });
    await consumer.attach();
    this.#subscriptions.add(consumer);
    const subscriptions = this.#subscriptions;
    return {
      get ready() {
        return consumer.ready;
      },
      pause: () => consumer.pause(),
      async close() {
        subscriptions.delete(consumer);
        await consumer.close();
      },
    };
  }

  async declareLog(spec: LogSpec): Promise<void> {
    await this.connection.addSetup(async (conn) => {
      const ch = await conn.createChannel();
      await ch.assertExchange(EXCHANGE, "topic", { durable: true });
      await ch.assertQueue(spec.name, { durable: true, arguments: logArguments(spec) });
      for (const key of spec.bindings) await ch.bindQueue(spec.name, EXCHANGE, key);
      await ch.close();
    });
  }

  async readLog(options: ReadLogOptions): Promise<LogReader> {
    const reader = new RabbitLogReader(this.connection, { ...options, logger: this.#opts.logger });
    await reader.attach();
    this.#readers.add(reader);
    const readers = this.#readers;
    return {
      get ready() {
        return reader.ready;
      },
      async close() {
        readers.delete(reader);
        await reader.close();
      },
    };
  }

  waitConnected(timeoutMs: number): Promise<boolean> {
    return this.connection.waitConnected(timeoutMs);
  }

  start(): void {
    this.connection.start();
  }

  /** Closes the subscriptions (unacked deliveries return to their queues), then the connection if this bus opened it. */
  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((c) => c.close()));
    this.#subscriptions.clear();
    await Promise.all([...this.#readers].map((r) => r.close()));
    this.#readers.clear();
    if (this.#owned) await this.connection.close();
  }
}
