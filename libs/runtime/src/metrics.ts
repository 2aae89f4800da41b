import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export { Counter, Gauge, Histogram, Registry };

export function createRegistry(opts: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "sensorstream_process_" });
  return registry;
}

type Common<L extends string> = { name: string; help: string; labelNames?: readonly L[] };

/**
 * Get-or-create: several services (or the bus library inside each) may share one registry
 * in the all-in-one process; the first to ask creates the metric, the rest reuse it.
 */
export function counter<L extends string = string>(registry: Registry, o: Common<L>): Counter<L> {
  const found = registry.getSingleMetric(o.name);
  if (found) return found as Counter<L>;
  return new Counter<L>({ ...o, labelNames: o.labelNames ?? [], registers: [registry] });
}

export function gauge<L extends string = string>(registry: Registry, o: Common<L>): Gauge<L> {
  const found = registry.getSingleMetric(o.name);
  if (found) return found as Gauge<L>;
  return new Gauge<L>({ ...o, labelNames: o.labelNames ?? [], registers: [registry] });
}

export function histogram<L extends string = string>(
  registry: Registry,
  o: Common<L> & { buckets: number[] },
): Histogram<L> {
  const found = registry.getSingleMetric(o.name);
  if (found) return found as Histogram<L>;
  return new Histogram<L>({ ...o, labelNames: o.labelNames ?? [], registers: [registry] });
}

/** Buckets for end-to-end and processing latency, fine around the 1 s target. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60,
];

/** A registry's metrics as data: what a worker thread sends its process for /metrics. */
export type MetricsJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

/**
 * One registry from several threads' metrics: series with the same name and labels are added (counters, gauges
 * and histograms of the same service never appear twice; shared ones, like the bus's, add up as they should).
 */
export const mergeMetrics = (parts: readonly MetricsJson[]): Registry => AggregatorRegistry.aggregate([...parts]);
