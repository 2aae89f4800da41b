import type { Registry } from "@sensorstream/runtime";

const total = async (registry: Registry, name: string): Promise<number> => {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const v = await m.get();
  return v.values.reduce((s, x) => s + x.value, 0);
};

/** The live one-line summary `npm start` prints: stored readings/s, connected sensors, dead letters. */
export function liveSummary(metrics: () => Promise<Registry>, clock: () => number = Date.now) {
  let lastReadings = 0;
  let lastAt = clock();
  return async (): Promise<string> => {
    const registry = await metrics();
    const readings = await total(registry, "sensorstream_ingester_readings_total");
    const clients = await total(registry, "sensorstream_gateway_clients");
    const dead = await total(registry, "sensorstream_dead_letters_total");
    const now = clock();
    const rate = ((readings - lastReadings) * 1000) / Math.max(1, now - lastAt);
    lastReadings = readings;
    lastAt = now;
    const time = new Date(now).toISOString().slice(11, 19);
    return `${time}  ${rate.toFixed(1)} readings/s stored  ${readings} total  ${clients} sensors connected  ${dead} dead letters`;
  };
}
