import { type Bus, openBus } from "@sensorstream/bus";
import { createRegistry, silentLogger } from "@sensorstream/runtime";
import { createTestVhost } from "../fixtures/amqp.js";
import { createTestDatabase } from "../fixtures/pg.js";

type Phase = { per_s: number; seconds: number };
export type BusBenchResult = {
  bus: "embedded" | "rabbitmq";
  messages: number;
  bytes_per_message: number;
  publishers_in_flight: number;
  /** Confirmed publishes into one queue, nobody consuming. */
  publish: Phase;
  /** Draining that backlog: deliveries acked one by one (prefetch 500). */
  consume: Phase;
  /** Publishing and consuming at once: rate, and publish-to-delivery latency. */
  both: Phase & { latency_ms: { p50: number; p99: number } };
};

const QUEUE = { name: "bench_bus", bindings: ["benchbus.#"], maxLength: 5_000_000, deliveryLimit: 20 };

async function publishAll(bus: Bus, n: number, inFlight: number, size: number): Promise<Phase> {
  const pad = "x".repeat(Math.max(0, size - 20));
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const body = Buffer.from(`${performance.now().toFixed(3)}|${pad}`);
      await bus.publish(`benchbus.s${i % 50}`, body, { messageId: `m${i}` });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { per_s: Math.round(n / seconds), seconds: Number(seconds.toFixed(2)) };
}

async function consumeAll(bus: Bus, n: number, latencies?: number[]): Promise<Phase> {
  const started = performance.now();
  let got = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const sub = await bus.consume({
    queue: QUEUE.name,
    prefetch: 500,
    onMessage: (d) => {
      latencies?.push(performance.now() - Number(d.content.toString().split("|")[0]));
      d.ack();
      if (++got >= n) done();
    },
  });
  await finished;
  const seconds = (performance.now() - started) / 1000;
  await sub.close();
  return { per_s: Math.round(n / seconds), seconds: Number(seconds.toFixed(2)) };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(1));
};

async function measure(kind: "embedded" | "rabbitmq", url: string, n: number, inFlight: number, size: number) {
  const bus = openBus({
    url,
    name: "bench",
    logger: silentLogger(),
    registry: createRegistry({ defaultMetrics: false }),
  });
  bus.start();
  if (!(await bus.waitConnected(15_000))) throw new Error(`the ${kind} bus did not connect`);
  try {
    await bus.declare([QUEUE]);
    const publish = await publishAll(bus, n, inFlight, size);
    const consume = await consumeAll(bus, n);
    const latencies: number[] = [];
    const started = performance.now();
    const consuming = consumeAll(bus, n, latencies);
    await publishAll(bus, n, inFlight, size);
    await consuming;
    const seconds = (performance.now() - started) / 1000;
    const both = {
      per_s: Math.round(n / seconds),
      seconds: Number(seconds.toFixed(2)),
      latency_ms: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
    };
    return { bus: kind, messages: n, bytes_per_message: size, publishers_in_flight: inFlight, publish, consume, both };
  } finally {
    await bus.close();
  }
}

/**
 * The embedded bus (PgBus on the local PostgreSQL) beside RabbitMQ in the same run, through the Bus port alone:
 * what a laptop on `npm start` without RabbitMQ can carry. Each bus on a fresh database / vhost.
 */
export async function runBusBench(o: {
  messages: number;
  inFlight: number;
  bytes: number;
  log: (line: string) => void;
}): Promise<Array<BusBenchResult | { bus: string; error: string }>> {
  const out: Array<BusBenchResult | { bus: string; error: string }> = [];
  for (const kind of ["embedded", "rabbitmq"] as const) {
    o.log(`bus: ${kind}, ${o.messages} messages of ${o.bytes} bytes, ${o.inFlight} publishes in flight`);
    const place = kind === "embedded" ? await createTestDatabase("bench_bus") : await createTestVhost("bench_bus");
    try {
      out.push(await measure(kind, place.url, o.messages, o.inFlight, o.bytes));
    } catch (err) {
      out.push({ bus: kind, error: (err as Error).message });
    } finally {
      await place.drop();
    }
  }
  return out;
}
