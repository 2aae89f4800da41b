import { topicMatches } from "../memory/topic-match.js";
import type { Queryable } from "./sql.js";

export type QueueRow = {
  name: string;
  max_length: number;
  overflow: "reject-publish" | "drop-head";
  delivery_limit: number | null;
  dead_letter_exchange: string | null;
  owner: string | null;
};

type Binding = { exchange: string; queue: string; pattern: string };

/**
 * This process's copy of the queues and bindings, for routing in JavaScript (topic matching as RabbitMQ does it).
 * Reloaded after every declare and on the topology NOTIFY of another process; a publish that finds no queue, or a
 * queue that is gone, reloads it once before it decides.
 */
export class PgTopology {
  queues = new Map<string, QueueRow>();
  #bindings: Binding[] = [];
  #logBindings: Array<{ exchange: string; log: string; pattern: string }> = [];
  #version = 0;

  get version(): number {
    return this.#version;
  }

  async load(db: Queryable): Promise<void> {
    const queues = await db.query<QueueRow>(
      "SELECT name, max_length::float8 AS max_length, overflow, delivery_limit, dead_letter_exchange, owner FROM bus.queues",
    );
    const bindings = await db.query<Binding>("SELECT exchange, queue, pattern FROM bus.bindings");
    this.queues = new Map(queues.rows.map((q) => [q.name, q]));
    this.#bindings = bindings.rows;
    const logBindings = await db.query<{ exchange: string; log: string; pattern: string }>(
      "SELECT exchange, log, pattern FROM bus.log_bindings",
    );
    this.#logBindings = logBindings.rows;
    this.#version++;
  }

  /** The queues a message with this routing key reaches on this exchange (each once). */
  route(exchange: string, routingKey: string): QueueRow[] {
    const names = new Set<string>();
    for (const b of this.#bindings) {
      if (b.exchange === exchange && topicMatches(b.pattern, routingKey)) names.add(b.queue);
    }
    return [...names].flatMap((n) => {
      const q = this.queues.get(n);
      return q ? [q] : [];
    });
  }

  /** The logs a message with this routing key is appended to. */
  routeLogs(exchange: string, routingKey: string): string[] {
    const names = new Set<string>();
    for (const b of this.#logBindings) {
      if (b.exchange === exchange && topicMatches(b.pattern, routingKey)) names.add(b.log);
    }
    return [...names];
  }
}
