#!/usr/bin/env node
/**
 * Micro-benchmark of the per-message parse CPU on the measurement hot path, in one process, no I/O:
 * - gateway: decide() on a device publish (parseDevicePayload -> normalizeReadings -> JSON of the bus form);
 * - bus: parseBusMessage(measurementMessageSchema) on the gateway's output, as the ingester and the alarm service do.
 * Messages of 10 one-value readings and of 1 reading. `node test/dist/bench/parse.js [messages]` (default 200000).
 * Prints messages/s and CPU µs per message per case (best of 5 rounds after a warm-up).
 */
import { measurementMessageSchema, parseBusMessage } from "@sensorstream/contracts";
import { decide } from "@sensorstream/gateway";
import { decideInput, devicePayload } from "./speed-probe.js";

const MESSAGES = Number(process.argv[2] ?? 200_000);

/** A pool of distinct messages so no result is served from a cache of one. */
function pools(readings: number): { device: Buffer[]; bus: Buffer[] } {
  const device = Array.from({ length: 1000 }, (_, n) => devicePayload(readings, n));
  const bus = device.map((p, n) => {
    const d = decide(decideInput(p, n));
    if (d.action !== "publish") throw new Error(`bench input refused: ${d.error}`);
    return d.body;
  });
  return { device, bus };
}

/** Best of 5 rounds of process CPU time (user + system): the machine is shared, wall time is noisier. */
function time(label: string, run: (i: number) => unknown): void {
  let sink = 0;
  for (let i = 0; i < Math.min(MESSAGES, 20_000); i++) sink += run(i) ? 1 : 0;
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < MESSAGES; i++) sink += run(i) ? 1 : 0;
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  if (sink === 0) throw new Error("nothing parsed");
  const rate = Math.round(MESSAGES / best).toLocaleString("en");
  console.log(`${label.padEnd(34)} ${rate.padStart(10)} msg/s  ${((best / MESSAGES) * 1e6).toFixed(2)} µs/msg (CPU)`);
}

for (const readings of [10, 1]) {
  const p = pools(readings);
  time(`gateway decide, ${readings} reading(s)`, (i) => {
    const d = decide(decideInput(p.device[i % 1000] as Buffer, i));
    return d.action === "publish";
  });
  time(`bus parse, ${readings} reading(s)`, (i) => {
    const r = parseBusMessage(measurementMessageSchema, p.bus[i % 1000] as Buffer, "sensor_pump-7.data");
    return r.ok;
  });
}
