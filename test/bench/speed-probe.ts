/**
 * How fast this machine's cores are at the moment: the CPU time of the gateway's decide() on a 10-reading device
 * publish, in one process, no I/O. The machine is shared and its speed drifts (twice as slow within an hour has been
 * seen, idle or not), so every figure the bench prints is only comparable to figures taken at a similar probe.
 * Also the input of test/bench/parse.ts.
 */
import { decide } from "@sensorstream/gateway";

const T0 = Date.UTC(2026, 10, 23, 8) * 1000;

export function devicePayload(readings: number, n: number): Buffer {
  const list = Array.from({ length: readings }, (_, i) => ({
    ts: new Date(T0 / 1000 + n * 100 + i * 10).toISOString(),
    values: { temperature: 20 + ((n + i) % 50) / 10 },
    seq: n * readings + i,
  }));
  return Buffer.from(JSON.stringify(readings === 1 ? list[0] : list));
}

export const decideInput = (payload: Buffer, n: number) => ({
  topic: "sensors/pump-7/data",
  payload,
  msgId: `m-${n}`,
  receivedUs: T0 + n * 1000,
  maxPayloadBytes: 256 * 1024,
});

export type SpeedProbe = { at: string; decide_us_per_message: { median: number; best: number } };

/** Seven rounds of `messages` decides after a warm-up: the median and the best round, in CPU µs per message. */
export function speedProbe(messages = 20_000): SpeedProbe {
  const pool = Array.from({ length: 1000 }, (_, n) => devicePayload(10, n));
  let published = 0;
  const round = () => {
    const start = process.cpuUsage();
    for (let i = 0; i < messages; i++) {
      if (decide(decideInput(pool[i % 1000] as Buffer, i)).action === "publish") published++;
    }
    const used = process.cpuUsage(start);
    return (used.user + used.system) / messages;
  };
  round();
  const us = Array.from({ length: 7 }, round).sort((a, b) => a - b);
  if (published !== messages * 8) throw new Error("the speed probe's input was refused");
  const two = (x: number) => Math.round(x * 100) / 100;
  return {
    at: new Date().toISOString(),
    decide_us_per_message: { median: two(us[3] as number), best: two(us[0] as number) },
  };
}
