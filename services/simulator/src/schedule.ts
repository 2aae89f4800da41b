/**
 * When each sample is taken and when each message is due. Pure arithmetic on epoch microseconds.
 *
 * Sample k of a sensor is taken at t0 + round(k * 1e6 / rateHz). With rateHz <= 1e6 the spacing
 * is at least one microsecond, so times are strictly increasing and unique per sensor (the
 * platform identifies a reading by (sensor_id, metric, time)). A message carries `batch`
 * consecutive samples and is due when its last sample is.
 */

export type SensorClock = { t0Us: number; rateHz: number; batch: number };

export const sampleTimeUs = (clock: SensorClock, k: number): number =>
  clock.t0Us + Math.round((k * 1_000_000) / clock.rateHz);

/** The due time of the message whose first sample is `firstK`. */
export const messageDueUs = (clock: SensorClock, firstK: number): number =>
  sampleTimeUs(clock, firstK + clock.batch - 1);

/**
 * The clock at `rateHz` whose sample `k` is taken exactly at `atUs`: after a rate change or a wake-up the sample
 * index (`seq`) carries on and later times stay exact multiples of the new period from there (no drift).
 */
export const reanchor = (clock: SensorClock, k: number, atUs: number, rateHz: number): SensorClock => ({
  t0Us: atUs - Math.round((k * 1_000_000) / rateHz),
  rateHz,
  batch: clock.batch,
});

const messagePeriodUs = (rateHz: number, batch: number): number => (batch * 1_000_000) / rateHz;

/**
 * Offsets sensor `index` of `count` across one message period so a fleet's messages are
 * spread over time instead of all falling due in the same tick.
 */
export const phaseOffsetUs = (index: number, count: number, rateHz: number, batch: number): number =>
  Math.floor((index * messagePeriodUs(rateHz, batch)) / count);

/** The id of sensor `n` (1-based) of `count`: `${prefix}-${n}`, zero-padded to the width of `count`. */
export const sensorId = (prefix: string, n: number, count: number): string =>
  `${prefix}-${String(n).padStart(String(count).length, "0")}`;

/** All ids of a fleet of `count`: sim-01 … sim-10. */
export const sensorIds = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => sensorId(prefix, i + 1, count));
