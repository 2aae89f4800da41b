import { DEAD_LETTER_EXCHANGE, EXCHANGE } from "@sensorstream/contracts";
import { sleep } from "@sensorstream/runtime";
import { ConnectedWaiters } from "../connected-waiters.js";
import type { Delivery } from "../consumer.js";
import { type DeadLetter, deadLetterHeaders } from "../dead-letter.js";
import type { LogReader, LogSpec, ReadLogOptions } from "../log.js";
import type { Bus, ConsumeOptions, Subscription } from "../port.js";
import { PublishError, type PublishOptions, publishHeaders } from "../publisher.js";
import { DEAD_LETTER_QUEUE, type QueueSpec, retiredKeys } from "../topology.js";
import { MemoryLog } from "./memory-log.js";
import { type DeathReason, type MemoryChannel, MemoryQueue, type StoredMessage } from "./memory-queue.js";
import { topicMatches } from "./topic-match.js";

export type MemoryBusOptions = {
  /** How long a publish waits for a dropped connection to come back before failing as "unavailable" (default 5 s). */
  waitForConnectionMs?: number;
};

type Binding = { exchange: string; queue: string; pattern: string };
type Sub = { options: ConsumeOptions; channel: MemoryChannel | undefined; closed: boolean; paused: boolean };

/**
 * The Bus port in one process, with RabbitMQ's semantics rather than shortcuts: topic routing, mandatory publishes
 * that fail when no queue takes them, bounded queues that refuse publishes, manual acks with a prefetch window,
 * redelivery of whatever was unacked when a channel goes, a delivery limit and dead-letter exchange. The same
 * conformance suite runs against it and against RabbitMQ.
 */
export class MemoryBus implements Bus {
  readonly #opts: MemoryBusOptions;
  readonly #exchanges = new Set<string>();
  readonly #queues = new Map<string, MemoryQueue>();
  readonly #bindings: Binding[] = [];
  readonly #logs = new Map<string, MemoryLog>();
  readonly #subs = new Set<Sub>();
  /** Transient queues as declared: dropped with the connection, declared again when it is back (as a setup is). */
  readonly #transient = new Map<string, QueueSpec>();
  readonly #waiters = new ConnectedWaiters(() => this.connected);
  #connected = true;
  #closed = false;
  #scheduled = false;

  constructor(opts: MemoryBusOptions = {}) {
    this.#opts = opts;
  }

  get connected(): boolean {
    return this.#connected && !this.#closed;
  }

  start(): void {}

  async declare(queues: readonly QueueSpec[]): Promise<void> {
    this.#exchanges.add(EXCHANGE);
    this.#exchanges.add(DEAD_LETTER_EXCHANGE);
    this.#queue(DEAD_LETTER_QUEUE, 1_000_000, "drop-head", undefined, undefined);
    this.#bind(DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, "#");
    for (const q of queues) {
      if (q.transient) {
        this.#transient.set(q.name, q);
        this.#queue(q.name, q.maxLength, "drop-head", undefined, undefined);
      } else if (q.overflow === "drop-head") this.#queue(q.name, q.maxLength, "drop-head", q.deliveryLimit, undefined);
      else this.#queue(q.name, q.maxLength, "reject-publish", q.deliveryLimit, DEAD_LETTER_EXCHANGE);
      for (const key of q.bindings) this.#bind(EXCHANGE, q.name, key);
      for (const key of retiredKeys(q)) this.#unbind(EXCHANGE, q.name, key);
    }
  }

  async publish(routingKey: string, content: Buffer, o: PublishOptions): Promise<void> {
    await this.#available();
    const exchange = o.exchange ?? EXCHANGE;
    if (!this.#exchanges.has(exchange)) throw new PublishError("closed", `no exchange ${exchange}`);
    const targets = this.#route(exchange, routingKey);
    const logs = this.#routeLogs(exchange, routingKey);
    if (targets.length === 0 && logs.length === 0 && (o.mandatory ?? true)) {
      throw new PublishError("unroutable", `no queue is bound for ${exchange}/${routingKey}`);
    }
    const headers = publishHeaders(o) ?? {};
    for (const log of logs) {
      log.append({ content: Buffer.from(content), routingKey, messageId: o.messageId, headers: { ...headers } });
    }
    let refused = false;
    for (const q of targets) {
      // Each queue holds its own copy, as each RabbitMQ queue does.
      const m: StoredMessage = {
        content: Buffer.from(content),
        exchange,
        routingKey,
        messageId: o.messageId,
        headers: { ...headers },
        returned: 0,
      };
      if (!q.offer(m)) refused = true;
    }
    this.#schedule();
    if (refused) throw new PublishError("nacked", `a queue bound for ${routingKey} is full and refused the message`);
  }

  async deadLetter(d: DeadLetter): Promise<void> {
    await this.publish(d.routingKey, d.body, {
      messageId: d.messageId,
      exchange: DEAD_LETTER_EXCHANGE,
      headers: deadLetterHeaders(d),
      schemaVersion: d.schemaVersion ?? null,
    });
  }

  async consume(options: ConsumeOptions): Promise<Subscription> {
    if (!this.#queues.has(options.queue)) throw new Error(`no queue ${options.queue} (declare it first)`);
    const sub: Sub = { options, channel: undefined, closed: false, paused: false };
    this.#subs.add(sub);
    if (this.connected) this.#subscribe(sub);
    return {
      get ready() {
        return sub.channel?.open === true;
      },
      pause: () => {
        sub.paused = true;
        if (sub.channel) sub.channel.paused = true;
      },
      close: async () => {
        sub.closed = true;
        this.#subs.delete(sub);
        this.#closeChannel(sub, false);
        // auto-delete: a transient queue goes with its last consumer.
        const q = this.#queues.get(options.queue);
        if (this.#transient.has(options.queue) && q?.channels.length === 0) this.#dropQueue(options.queue);
      },
    };
  }

  async declareLog(spec: LogSpec): Promise<void> {
    this.#exchanges.add(EXCHANGE);
    const existing = this.#logs.get(spec.name);
    if (existing) {
      const was = existing.spec;
      if (was.maxAgeSeconds !== spec.maxAgeSeconds || was.maxBytes !== spec.maxBytes) {
        throw new Error(`PRECONDITION_FAILED: log ${spec.name} exists with other arguments`);
      }
    } else {
      this.#logs.set(spec.name, new MemoryLog(spec));
    }
    for (const key of spec.bindings) this.#bind(EXCHANGE, spec.name, key);
  }

  async readLog(o: ReadLogOptions): Promise<LogReader> {
    const log = this.#logs.get(o.log);
    if (!log) throw new Error(`no log ${o.log} (declare it first)`);
    const reader = log.addReader(o.from, o.onEntry);
    this.#schedule();
    const bus = this;
    return {
      get ready() {
        return !reader.closed && bus.connected;
      },
      close: async () => log.removeReader(reader),
    };
  }

  /** Resolves when connected, or false after timeoutMs. */
  waitConnected(timeoutMs: number): Promise<boolean> {
    return this.#waiters.wait(timeoutMs);
  }

  /**
   * What a lost connection does: every channel closes (unacked deliveries return to their queues, redelivered) and,
   * after downMs, the consumers subscribe again. Queues and their messages survive, as on a broker.
   */
  async dropConnection(downMs = 0): Promise<void> {
    if (!this.#connected) return;
    this.#connected = false;
    for (const sub of this.#subs) this.#closeChannel(sub, true);
    // Exclusive queues die with their connection, messages and all.
    for (const name of this.#transient.keys()) this.#dropQueue(name);
    await sleep(downMs);
    if (this.#closed) return;
    this.#connected = true;
    await this.declare([...this.#transient.values()]);
    for (const sub of this.#subs) this.#subscribe(sub);
    this.#schedule();
    this.#waiters.wake();
  }

  /** Ready messages in a queue (not those handed out and unacked). */
  queueDepth(queue: string): number {
    return this.#mustQueue(queue).ready.length;
  }

  /** Messages handed to consumers and not settled yet. */
  unackedCount(queue: string): number {
    return this.#mustQueue(queue).channels.reduce((n, ch) => n + ch.unacked.size, 0);
  }

  /** Takes up to max ready messages out of a queue, as a test reading it would. */
  take(queue: string, max = 10_000): StoredMessage[] {
    return this.#mustQueue(queue).ready.take(max);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const sub of this.#subs) this.#closeChannel(sub, false);
    this.#subs.clear();
    this.#waiters.wake();
  }

  #queue(name: string, maxLength: number, overflow: "reject-publish" | "drop-head", limit?: number, dlx?: string) {
    const settings = { name, maxLength, overflow, deliveryLimit: limit, deadLetterExchange: dlx };
    const existing = this.#queues.get(name);
    if (existing) {
      // RabbitMQ answers PRECONDITION_FAILED: a queue's arguments cannot change once it exists.
      const was = existing.settings;
      const same = (Object.keys(settings) as Array<keyof typeof settings>).every((k) => was[k] === settings[k]);
      if (!same) throw new Error(`PRECONDITION_FAILED: queue ${name} exists with other arguments`);
      return;
    }
    this.#queues.set(name, new MemoryQueue(settings, (m, q, reason) => this.#die(m, q, reason)));
  }

  #dropQueue(name: string): void {
    this.#queues.delete(name);
    for (let i = this.#bindings.length - 1; i >= 0; i--) {
      if (this.#bindings[i]?.queue === name) this.#bindings.splice(i, 1);
    }
  }

  #bind(exchange: string, queue: string, pattern: string): void {
    const dup = this.#bindings.some((b) => b.exchange === exchange && b.queue === queue && b.pattern === pattern);
    if (!dup) this.#bindings.push({ exchange, queue, pattern });
  }

  #unbind(exchange: string, queue: string, pattern: string): void {
    const i = this.#bindings.findIndex((b) => b.exchange === exchange && b.queue === queue && b.pattern === pattern);
    if (i >= 0) this.#bindings.splice(i, 1);
  }

  #route(exchange: string, routingKey: string): MemoryQueue[] {
    return [...this.#matching(exchange, routingKey)].filter((n) => this.#queues.has(n)).map((n) => this.#mustQueue(n));
  }

  #routeLogs(exchange: string, routingKey: string): MemoryLog[] {
    return [...this.#matching(exchange, routingKey)].flatMap((n) => this.#logs.get(n) ?? []);
  }

  #matching(exchange: string, routingKey: string): Set<string> {
    const names = new Set<string>();
    for (const b of this.#bindings) {
      if (b.exchange === exchange && topicMatches(b.pattern, routingKey)) names.add(b.queue);
    }
    return names;
  }

  #mustQueue(name: string): MemoryQueue {
    const q = this.#queues.get(name);
    if (!q) throw new Error(`no queue ${name}`);
    return q;
  }

  /** RabbitMQ's dead-lettering: to the queue's dead-letter exchange, same routing key, with x-death headers. */
  #die(m: StoredMessage, q: MemoryQueue, reason: DeathReason): void {
    const dlx = q.settings.deadLetterExchange;
    if (!dlx) return;
    const death = { queue: q.settings.name, reason, exchange: m.exchange, "routing-keys": [m.routingKey], count: 1 };
    const previous = Array.isArray(m.headers["x-death"]) ? (m.headers["x-death"] as unknown[]) : [];
    const headers: Record<string, unknown> = { ...m.headers, "x-death": [death, ...previous] };
    headers["x-first-death-reason"] ??= reason;
    headers["x-first-death-queue"] ??= q.settings.name;
    headers["x-first-death-exchange"] ??= m.exchange;
    delete headers["x-delivery-count"];
    for (const target of this.#route(dlx, m.routingKey)) {
      target.offer({ ...m, exchange: dlx, headers, returned: 0 });
    }
    this.#schedule();
  }

  #subscribe(sub: Sub): void {
    const queue = this.#mustQueue(sub.options.queue);
    const ch: MemoryChannel = {
      open: true,
      paused: sub.paused,
      prefetch: sub.options.prefetch,
      nextTag: 1,
      unacked: new Map(),
      onMessage: sub.options.onMessage,
    };
    sub.channel = ch;
    queue.channels.push(ch);
    sub.options.onSubscribed?.();
    this.#schedule();
  }

  #closeChannel(sub: Sub, lost: boolean): void {
    const ch = sub.channel;
    if (!ch) return;
    sub.channel = undefined;
    ch.open = false;
    const queue = this.#mustQueue(sub.options.queue);
    queue.channels.splice(queue.channels.indexOf(ch), 1);
    queue.giveBack([...ch.unacked.entries()].sort(([a], [b]) => a - b).map(([, m]) => m));
    ch.unacked.clear();
    if (lost) sub.options.onChannelLost?.();
    this.#schedule();
  }

  async #available(): Promise<void> {
    if (this.#closed) throw new PublishError("closed", "the bus is closed");
    if (this.#connected) return;
    const back = await this.waitConnected(this.#opts.waitForConnectionMs ?? 5_000);
    if (!back) throw new PublishError("unavailable", "the bus is unavailable (connection dropped)");
  }

  /** Deliveries go out on a later tick, as they would arrive from a socket: never inside the caller's call. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      for (const q of this.#queues.values()) q.dispatch((ch, m) => this.#delivery(q, ch, m));
      // Log readers are fed while connected; after a drop they carry on from where they were.
      if (this.connected) for (const log of this.#logs.values()) log.dispatch();
    });
  }

  #delivery(q: MemoryQueue, ch: MemoryChannel, m: StoredMessage): Delivery {
    const tag = ch.nextTag++;
    ch.unacked.set(tag, m);
    let settled = false;
    const live = () => ch.open && ch.unacked.has(tag);
    const headers = m.returned > 0 ? { ...m.headers, "x-delivery-count": m.returned } : { ...m.headers };
    const settle = (): boolean => {
      if (settled || !live()) return false;
      settled = true;
      ch.unacked.delete(tag);
      this.#schedule();
      return true;
    };
    return {
      content: m.content,
      routingKey: m.routingKey,
      messageId: m.messageId,
      headers,
      redelivered: m.returned > 0,
      live: () => ch.open,
      ack: () => {
        settle();
      },
      nack: (requeue) => {
        if (!settle()) return;
        if (requeue) q.giveBack([m]);
        else this.#die(m, q, "rejected");
      },
    };
  }
}
