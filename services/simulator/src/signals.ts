/**
 * Pure signal generators for virtual sensors: no I/O, no clock, randomness injected.
 * A signal is called with strictly increasing sample times (epoch microseconds); generators
 * with state (gps) advance it by the time elapsed since the previous call.
 */

export const SENSOR_TYPES = ["vibration", "gps", "temperature", "accelerometer"] as const;
export type SensorType = (typeof SENSOR_TYPES)[number];

/** Returns a number in [0, 1), like Math.random. */
export type Random = () => number;
export type GeoPoint = { lat: number; lon: number };
export type Sample = { values: Record<string, number>; lat?: number; lon?: number };
export type Signal = (timeUs: number) => Sample;

export type SignalOptions = {
  random: Random;
  /** gps: where the sensor starts (within about a kilometre). */
  origin?: GeoPoint;
  /** temperature: length of the "day" in seconds. */
  periodS?: number;
};

/** Santiago de Chile, as in the architecture's examples. */
export const DEFAULT_ORIGIN: GeoPoint = { lat: -33.45, lon: -70.66 };

export const MAX_SPEED_KMH = 120;
const ROAM_RADIUS_M = 10_000;
const TAU = 2 * Math.PI;
const METRES_PER_DEGREE = 111_320;
const toRad = (deg: number): number => (deg * Math.PI) / 180;

export const isSensorType = (value: string): value is SensorType => (SENSOR_TYPES as readonly string[]).includes(value);

/** Deterministic PRNG (mulberry32) for reproducible runs and tests. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Approximately standard normal (Irwin-Hall of four uniforms): mean 0, sd 1, bounded by ±2√3. */
export function gaussian(random: Random): number {
  return (random() + random() + random() + random() - 2) * Math.sqrt(3);
}

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
const clamp = (value: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, value));

/**
 * A rotating machine: the vibration level is a slow sum of three sines (per-sensor phases)
 * plus noise; the peak rides above the RMS by a crest factor of at least √2; the bearing
 * temperature follows the level and a slow hourly swing.
 */
export function createVibrationSignal(opts: SignalOptions): Signal {
  const { random } = opts;
  const base = 0.6 + 0.4 * random();
  const components = [
    { amp: 0.3, periodS: 37, phase: TAU * random() },
    { amp: 0.15, periodS: 11, phase: TAU * random() },
    { amp: 0.08, periodS: 3.1, phase: TAU * random() },
  ];
  const thermalPhase = TAU * random();
  return (timeUs) => {
    const t = timeUs / 1e6;
    let level = base;
    for (const c of components) level += c.amp * Math.sin((TAU * t) / c.periodS + c.phase);
    const rms = Math.max(0.01, level + 0.03 * gaussian(random));
    const peak = rms * (Math.SQRT2 + 0.25 * Math.abs(gaussian(random)));
    const temp = 38 + 6 * (rms - base) + 4 * Math.sin((TAU * t) / 3600 + thermalPhase) + 0.1 * gaussian(random);
    return { values: { accel_rms: round(rms, 4), accel_peak: round(peak, 4), temp_c: round(temp, 2) } };
  };
}

/**
 * A raw accelerometer channel sampled at its rate: one value per reading (the waveform itself: a
 * machine's running speed and two harmonics plus noise). One metric per reading, so readings are rows.
 */
export function createAccelerometerSignal(opts: SignalOptions): Signal {
  const { random } = opts;
  const hz = 24.5 + random();
  const phases = [TAU * random(), TAU * random(), TAU * random()];
  return (timeUs) => {
    const t = timeUs / 1e6;
    const g =
      0.5 * Math.sin(TAU * hz * t + (phases[0] ?? 0)) +
      0.2 * Math.sin(TAU * 2 * hz * t + (phases[1] ?? 0)) +
      0.1 * Math.sin(TAU * 3 * hz * t + (phases[2] ?? 0)) +
      0.05 * gaussian(random);
    return { values: { accel_g: round(g, 4) } };
  };
}

/** An outdoor climate probe: a daily sine, a faster ripple and noise; humidity falls as it warms. */
export function createTemperatureSignal(opts: SignalOptions): Signal {
  const { random } = opts;
  const periodS = opts.periodS ?? 86_400;
  const mean = 18 + 6 * random();
  const amp = 4 + 3 * random();
  const phase = TAU * random();
  const ripplePhase = TAU * random();
  return (timeUs) => {
    const t = timeUs / 1e6;
    const swing = amp * Math.sin((TAU * t) / periodS + phase) + 0.5 * Math.sin((TAU * t) / 600 + ripplePhase);
    const temp = mean + swing + 0.15 * gaussian(random);
    const humidity = clamp(55 - 2.5 * (temp - mean) + gaussian(random), 0, 100);
    return { values: { temp_c: round(temp, 2), humidity_pct: round(humidity, 1) } };
  };
}

/**
 * A vehicle tracker: starts within about a kilometre of the origin, cruises with a
 * random-walk heading and speed, and steers back when it strays beyond `ROAM_RADIUS_M`.
 */
export function createGpsSignal(opts: SignalOptions): Signal {
  const { random } = opts;
  const origin = opts.origin ?? DEFAULT_ORIGIN;
  let lat = origin.lat + ((random() - 0.5) * 2000) / METRES_PER_DEGREE;
  let lon = origin.lon + ((random() - 0.5) * 2000) / (METRES_PER_DEGREE * Math.cos(toRad(origin.lat)));
  let heading = 360 * random();
  const cruise = 20 + 40 * random();
  let speed = cruise;
  let lastUs: number | undefined;
  return (timeUs) => {
    const dt = lastUs === undefined ? 0 : Math.max(0, (timeUs - lastUs) / 1e6);
    lastUs = timeUs;
    if (dt > 0) {
      const root = Math.sqrt(dt);
      heading += 3 * root * gaussian(random) + homing({ lat, lon }, origin, heading, dt);
      heading = ((heading % 360) + 360) % 360;
      speed += (cruise - speed) * Math.min(1, dt / 60) + 2 * root * gaussian(random);
      speed = clamp(speed, 0, MAX_SPEED_KMH);
      const metres = (speed / 3.6) * dt;
      lat = clamp(lat + (metres * Math.cos(toRad(heading))) / METRES_PER_DEGREE, -85, 85);
      lon += (metres * Math.sin(toRad(heading))) / (METRES_PER_DEGREE * Math.cos(toRad(lat)));
      lon = ((((lon + 180) % 360) + 360) % 360) - 180;
    }
    return { values: { speed_kmh: round(speed, 2) }, lat: round(lat, 6), lon: round(lon, 6) };
  };
}

/** Degrees to turn (at most 20°/s) towards the origin once farther than the roaming radius. */
function homing(at: GeoPoint, origin: GeoPoint, heading: number, dt: number): number {
  const north = (origin.lat - at.lat) * METRES_PER_DEGREE;
  const east = (origin.lon - at.lon) * METRES_PER_DEGREE * Math.cos(toRad(at.lat));
  if (Math.hypot(north, east) <= ROAM_RADIUS_M) return 0;
  const bearing = (Math.atan2(east, north) * 180) / Math.PI;
  const diff = ((bearing - heading + 540) % 360) - 180;
  return clamp(diff, -20 * dt, 20 * dt);
}

export function createSignal(type: SensorType, opts: SignalOptions): Signal {
  switch (type) {
    case "vibration":
      return createVibrationSignal(opts);
    case "gps":
      return createGpsSignal(opts);
    case "temperature":
      return createTemperatureSignal(opts);
    case "accelerometer":
      return createAccelerometerSignal(opts);
    default: {
      const never: never = type;
      throw new Error(`unknown sensor type ${String(never)}`);
    }
  }
}
