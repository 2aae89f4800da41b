import { describe, expect, it } from "vitest";
import {
  createGpsSignal,
  createSignal,
  createTemperatureSignal,
  createVibrationSignal,
  DEFAULT_ORIGIN,
  gaussian,
  MAX_SPEED_KMH,
  SENSOR_TYPES,
  type Signal,
  seededRandom,
} from "./signals.js";

const T0 = Date.UTC(2026, 10, 23, 8) * 1000;
const run = (signal: Signal, n: number, stepUs: number) => Array.from({ length: n }, (_, k) => signal(T0 + k * stepUs));

/** Haversine distance in metres. */
const metresBetween = (a: { lat: number; lon: number }, b: { lat: number; lon: number }): number => {
  const rad = Math.PI / 180;
  const h =
    Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lon - a.lon) * rad) / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
};

describe("seededRandom and gaussian", () => {
  it("repeats for a seed and stays in [0, 1)", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(new Set(xs).size).toBeGreaterThan(990);
  });

  it("gaussian has mean ~0, sd ~1 and is bounded by ±2√3", () => {
    const r = seededRandom(7);
    const xs = Array.from({ length: 20_000 }, () => gaussian(r));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeGreaterThan(0.95);
    expect(sd).toBeLessThan(1.05);
    expect(Math.max(...xs.map(Math.abs))).toBeLessThanOrEqual(2 * Math.sqrt(3));
  });
});

describe("vibration", () => {
  it("produces accel_rms, accel_peak >= rms and a plausible temperature", () => {
    const samples = run(createVibrationSignal({ random: seededRandom(1) }), 5000, 100_000);
    for (const { values, lat, lon } of samples) {
      expect(Object.keys(values).sort()).toEqual(["accel_peak", "accel_rms", "temp_c"]);
      expect(values.accel_rms).toBeGreaterThan(0);
      expect(values.accel_rms).toBeLessThan(2);
      expect(values.accel_peak).toBeGreaterThanOrEqual((values.accel_rms ?? 0) * 1.41);
      expect(values.temp_c).toBeGreaterThan(25);
      expect(values.temp_c).toBeLessThan(50);
      expect(lat).toBeUndefined();
      expect(lon).toBeUndefined();
    }
    // It varies: the slow sines and the noise are really there.
    const rms = samples.map((s) => s.values.accel_rms ?? 0);
    expect(Math.max(...rms) - Math.min(...rms)).toBeGreaterThan(0.3);
  });

  it("differs between sensors (per-sensor phase) and repeats for the same random", () => {
    const r = seededRandom(3);
    const a = run(createVibrationSignal({ random: r }), 50, 1_000_000);
    const b = run(createVibrationSignal({ random: r }), 50, 1_000_000);
    expect(a).not.toEqual(b);
    expect(run(createVibrationSignal({ random: seededRandom(3) }), 50, 1_000_000)).toEqual(a);
  });
});

describe("temperature", () => {
  it("follows a daily swing with humidity in 0..100", () => {
    const samples = run(createTemperatureSignal({ random: seededRandom(2) }), 24 * 60, 60_000_000);
    const temps = samples.map((s) => s.values.temp_c ?? Number.NaN);
    for (const { values } of samples) {
      expect(Object.keys(values).sort()).toEqual(["humidity_pct", "temp_c"]);
      expect(values.temp_c).toBeGreaterThan(5);
      expect(values.temp_c).toBeLessThan(35);
      expect(values.humidity_pct).toBeGreaterThanOrEqual(0);
      expect(values.humidity_pct).toBeLessThanOrEqual(100);
    }
    // Over a day the swing (amplitude 4..7) shows.
    expect(Math.max(...temps) - Math.min(...temps)).toBeGreaterThan(6);
  });

  it("honours a shorter period", () => {
    const samples = run(createTemperatureSignal({ random: seededRandom(2), periodS: 60 }), 60, 1_000_000);
    const temps = samples.map((s) => s.values.temp_c ?? Number.NaN);
    expect(Math.max(...temps) - Math.min(...temps)).toBeGreaterThan(6);
  });
});

describe("gps", () => {
  it("starts near the origin and moves no faster than its speed allows", () => {
    const origin = { lat: 52.52, lon: 13.405 };
    const samples = run(createGpsSignal({ random: seededRandom(5), origin }), 3600, 1_000_000);
    const first = samples[0];
    if (first?.lat === undefined || first.lon === undefined) throw new Error("gps sample without a position");
    expect(metresBetween(origin, { lat: first.lat, lon: first.lon })).toBeLessThan(1500);
    let travelled = 0;
    for (let i = 1; i < samples.length; i++) {
      const a = samples[i - 1];
      const b = samples[i];
      if (a?.lat === undefined || a.lon === undefined || b?.lat === undefined || b.lon === undefined) {
        throw new Error("gps sample without a position");
      }
      const d = metresBetween({ lat: a.lat, lon: a.lon }, { lat: b.lat, lon: b.lon });
      expect(d).toBeLessThanOrEqual(MAX_SPEED_KMH / 3.6 + 0.5);
      travelled += d;
      expect(b.values.speed_kmh).toBeGreaterThanOrEqual(0);
      expect(b.values.speed_kmh).toBeLessThanOrEqual(MAX_SPEED_KMH);
    }
    expect(travelled).toBeGreaterThan(5_000); // an hour at 20-60 km/h
    // It roams, but is steered back towards the origin.
    const last = samples.at(-1);
    expect(metresBetween(origin, { lat: last?.lat ?? 0, lon: last?.lon ?? 0 })).toBeLessThan(20_000);
  });

  it("does not move when time does not advance, and defaults to the Santiago origin", () => {
    const signal = createGpsSignal({ random: seededRandom(9) });
    const a = signal(T0);
    const b = signal(T0);
    expect(b.lat).toBe(a.lat);
    expect(b.lon).toBe(a.lon);
    expect(Math.abs((a.lat ?? 0) - DEFAULT_ORIGIN.lat)).toBeLessThan(0.02);
    expect(Math.abs((a.lon ?? 0) - DEFAULT_ORIGIN.lon)).toBeLessThan(0.02);
  });

  it("is deterministic for an injected random", () => {
    const a = run(createGpsSignal({ random: seededRandom(11) }), 100, 500_000);
    const b = run(createGpsSignal({ random: seededRandom(11) }), 100, 500_000);
    expect(a).toEqual(b);
  });
});

describe("createSignal", () => {
  it("builds every type", () => {
    const keys = SENSOR_TYPES.map((t) => Object.keys(createSignal(t, { random: seededRandom(1) })(T0).values).sort());
    expect(keys).toEqual([
      ["accel_peak", "accel_rms", "temp_c"],
      ["speed_kmh"],
      ["humidity_pct", "temp_c"],
      ["accel_g"],
    ]);
  });
});
