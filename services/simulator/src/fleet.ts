import type { CommandBehaviour } from "./commands.js";
import { createCounters, snapshot } from "./counters.js";
import { createCommandHandling } from "./fleet-commands.js";
import { createLinkOpener } from "./fleet-links.js";
import { publishDue } from "./fleet-publish.js";
import { FleetScheduler } from "./fleet-scheduler.js";
import { createSensors } from "./fleet-sensors.js";
import { closeSensor, drainInflight } from "./fleet-stop.js";
import type { OpenLink } from "./link.js";
import { openMqttLink } from "./mqtt-link.js";
import { type FleetOptions, type FleetStats, resolveFleetOptions } from "./options.js";
import { messageDueUs, sensorIds } from "./schedule.js";

export type Fleet = {
  /** `${idPrefix}-${n}`, n = 1..sensors, zero-padded (or the ids given). */
  readonly sensorIds: readonly string[];
  /** How each sensor treats commands (--fail-commands, --ignore-commands), by sensor id. */
  readonly commandBehaviours: ReadonlyMap<string, CommandBehaviour>;
  stats: () => FleetStats;
  /** Stops scheduling, waits (bounded) for outstanding PUBACKs, then disconnects cleanly. Idempotent. */
  stop: () => Promise<FleetStats>;
  /** Settles with the final stats once the fleet has stopped (after durationS, or after stop()). */
  readonly done: Promise<FleetStats>;
};

/** Seams for tests: the MQTT connection and the clock (epoch microseconds). */
export type FleetDeps = { openLink?: OpenLink; nowUs?: () => number };

/** Sub-millisecond wall-clock time that never jumps backwards within the process. */
const wallClockUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

/**
 * Composes the fleet: its sensors (fleet-sensors.ts), their links (fleet-links.ts), the scheduler
 * (fleet-scheduler.ts) publishing due samples (fleet-publish.ts), commands (fleet-commands.ts) and the stop
 * sequence (fleet-stop.ts).
 */
export function startFleet(options: FleetOptions, deps: FleetDeps = {}): Fleet {
  const o = resolveFleetOptions(options);
  const nowUs = deps.nowUs ?? wallClockUs;
  const startUs = nowUs();
  const endUs = o.durationS > 0 ? startUs + Math.round(o.durationS * 1_000_000) : Number.POSITIVE_INFINITY;

  const ids = o.ids ?? sensorIds(o.idPrefix, o.sensors);
  const sensors = createSensors(o, ids, startUs);
  const c = createCounters(sensors.length);
  let stopping = false;
  let finishedUs: number | undefined;
  const stats = (): FleetStats => snapshot(c, startUs, finishedUs ?? nowUs());

  const publishing = { c, batch: o.batch, maxInflight: o.maxInflight };
  const scheduler = new FleetScheduler({
    sensors,
    nowUs,
    endUs,
    stopping: () => stopping,
    step: (s, horizonUs, now) => publishDue(publishing, s, horizonUs, now),
    onEnd: () => void stop(),
  });
  const { onCommand, publishStatus } = createCommandHandling({
    c,
    nowUs,
    stopping: () => stopping,
    schedule: scheduler.schedule,
  });
  const openMore = createLinkOpener({
    o,
    c,
    sensors,
    openLink: deps.openLink ?? openMqttLink,
    stopping: () => stopping,
    onCommand,
    publishStatus,
  });
  for (const s of sensors) scheduler.schedule(s, messageDueUs(s.clock, 0));

  const progress =
    o.onProgress === undefined ? undefined : setInterval(() => o.onProgress?.(stats()), o.progressIntervalMs).unref();

  let resolveDone: (s: FleetStats) => void = () => {};
  const done = new Promise<FleetStats>((resolve) => {
    resolveDone = resolve;
  });
  let stopPromise: Promise<FleetStats> | undefined;
  const stop = (): Promise<FleetStats> => {
    stopPromise ??= (async () => {
      stopping = true;
      scheduler.halt();
      if (progress !== undefined) clearInterval(progress);
      await drainInflight(c, o.drainTimeoutMs);
      await Promise.all(sensors.map((s) => closeSensor(c, s)));
      finishedUs = nowUs();
      const final = stats();
      resolveDone(final);
      return final;
    })();
    return stopPromise;
  };

  openMore();
  scheduler.tick();
  const commandBehaviours = new Map(sensors.map((s) => [s.id, s.behaviour]));
  return { sensorIds: ids, commandBehaviours, stats, stop, done };
}
