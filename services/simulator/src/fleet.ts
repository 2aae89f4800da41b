import { deviceTopicFor } from "@sensorstream/contracts";
import { sleep, within } from "./async-util.js";
import { behaviourFor, type CommandBehaviour } from "./commands.js";
import { createCounters, snapshot } from "./counters.js";
import { DueQueue } from "./due-queue.js";
import { createCommandHandling } from "./fleet-commands.js";
import type { LinkSpec, OpenLink } from "./link.js";
import { openMqttLink } from "./mqtt-link.js";
import { type FleetOptions, type FleetStats, resolveFleetOptions } from "./options.js";
import { buildDataMessage, SHUTDOWN_STATUS, WILL_STATUS } from "./payload.js";
import { messageDueUs, phaseOffsetUs, sensorIds } from "./schedule.js";
import { createSignal } from "./signals.js";
import type { VirtualSensor } from "./virtual-sensor.js";

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

const MAX_SLEEP_MS = 100;
/** Messages built per timer tick before yielding to I/O (matters only when catching up). */
const MAX_MESSAGES_PER_TICK = 2_000;
const OFFLINE_RETRY_US = 50_000;
const WINDOW_RETRY_US = 2_000;
const STATUS_TIMEOUT_MS = 2_000;
const CLOSE_TIMEOUT_MS = 3_000;

export function startFleet(options: FleetOptions, deps: FleetDeps = {}): Fleet {
  const o = resolveFleetOptions(options);
  const openLink = deps.openLink ?? openMqttLink;
  const nowUs = deps.nowUs ?? wallClockUs;
  const startUs = nowUs();
  const endUs = o.durationS > 0 ? startUs + Math.round(o.durationS * 1_000_000) : Number.POSITIVE_INFINITY;

  const ids = o.ids ?? sensorIds(o.idPrefix, o.sensors);
  const sensors: VirtualSensor[] = ids.map((id, i) => {
    const type = o.types[i % o.types.length] ?? "vibration";
    const signalOptions = o.origin === undefined ? { random: o.random } : { random: o.random, origin: o.origin };
    return {
      index: i,
      id,
      type,
      signal: createSignal(type, signalOptions),
      clock: { t0Us: startUs + phaseOffsetUs(i, o.sensors, o.rateHz, o.batch), rateHz: o.rateHz, batch: o.batch },
      dataTopic: deviceTopicFor(id, "data"),
      statusTopic: deviceTopicFor(id, "status"),
      commandsPrefix: `sensors/${id}/commands/`,
      behaviour: behaviourFor(i, ids.length, o.failCommands, o.ignoreCommands),
      asleep: false,
      gen: 0,
      answered: new Map(),
      nextK: 0,
      inflight: 0,
      connected: false,
      link: undefined,
    };
  });

  const c = createCounters(sensors.length);
  let stopping = false;
  let finishedUs: number | undefined;
  const stats = (): FleetStats => snapshot(c, startUs, finishedUs ?? nowUs());

  // ---- connections: at most connectConcurrency handshakes at once -------------------------
  let nextToOpen = 0;
  let opening = 0;
  const openMore = (): void => {
    while (!stopping && opening < o.connectConcurrency && nextToOpen < sensors.length) {
      const s = sensors[nextToOpen++];
      if (s === undefined) return;
      opening++;
      openSensor(s);
    }
  };
  const openSensor = (s: VirtualSensor): void => {
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      opening--;
      openMore();
    };
    // A sensor with a token of its own logs in as itself with it; otherwise, with a password, each
    // sensor logs in as itself unless one username is given for all.
    const token = o.tokens?.get(s.id);
    const password = token ?? o.password;
    const username = token !== undefined ? s.id : (o.username ?? (password === undefined ? undefined : s.id));
    const spec: LinkSpec = {
      url: o.mqttUrl,
      clientId: s.id,
      will: { topic: s.statusTopic, payload: WILL_STATUS },
      reconnectPeriodMs: 1_000,
      connectTimeoutMs: 30_000,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(o.ca === undefined ? {} : { ca: o.ca }),
    };
    s.link = openLink(spec, {
      onConnect: () => {
        if (!s.connected) c.connected++;
        s.connected = true;
        settle();
        if (stopping) return;
        // Commands first: the session is clean, so the subscription is made again on every connect.
        s.link?.subscribe(`${s.commandsPrefix}#`, (err) => {
          if (err) c.lastError = `${s.id}: subscribe: ${err.message}`;
        });
        // Re-announced on every connect: a dropped connection may have fired the will.
        publishStatus(s);
      },
      onMessage: (topic, payload) => onCommand(s, topic, payload),
      onClose: () => {
        if (s.connected) c.connected--;
        s.connected = false;
        settle();
      },
      onError: (err) => {
        c.connectErrors++;
        c.lastError = `${s.id}: ${err.message}`;
        settle();
      },
    });
  };

  const { onCommand, publishStatus } = createCommandHandling({
    c,
    nowUs,
    stopping: () => stopping,
    schedule: (s, at) => schedule(s, at),
  });

  // ---- the one scheduler -----------------------------------------------------------------
  const queue = new DueQueue();
  const schedule = (s: VirtualSensor, at: number): void => {
    s.gen++;
    queue.push(at, s.index, s.gen);
  };
  for (const s of sensors) schedule(s, messageDueUs(s.clock, 0));

  /** Sends the sensor's next message if it is due and may be sent; returns when to look at it again. */
  const step = (s: VirtualSensor, horizonUs: number, now: number): number => {
    const due = messageDueUs(s.clock, s.nextK);
    if (due > horizonUs) return due;
    // Samples wait (their times unchanged) while the sensor is offline or its window is full.
    if (!s.connected || s.link === undefined) return now + OFFLINE_RETRY_US;
    if (s.inflight >= o.maxInflight) return now + WINDOW_RETRY_US;
    const msg = buildDataMessage(s.signal, s.clock, s.nextK);
    s.nextK += o.batch;
    s.inflight++;
    c.inflight++;
    c.messagesSent++;
    c.readingsSent += msg.readings;
    s.link.publish(s.dataTopic, msg.payload, false, (err) => {
      s.inflight--;
      c.inflight--;
      if (err) {
        c.publishErrors++;
        c.lastError = `${s.id}: publish: ${err.message}`;
        return;
      }
      c.messagesAcked++;
      c.readingsAcked += msg.readings;
      c.valuesAcked += msg.values;
      c.positionsAcked += msg.positions;
    });
    return messageDueUs(s.clock, s.nextK);
  };

  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const tick = (): void => {
    timer = undefined;
    immediate = undefined;
    if (stopping) return;
    const now = nowUs();
    const horizon = Math.min(now, endUs);
    let budget = MAX_MESSAGES_PER_TICK;
    for (let at = queue.peekTime(); at !== undefined && at <= horizon && budget > 0; at = queue.peekTime()) {
      const entry = queue.popEntry();
      const s = entry === undefined ? undefined : sensors[entry.index];
      if (entry === undefined || s === undefined) break;
      budget--;
      // Superseded by a command (sleep, awake, new rate): the sensor is elsewhere in the queue, or asleep.
      if (entry.tag !== s.gen) continue;
      queue.push(step(s, horizon, now), s.index, s.gen);
    }
    if (budget === 0) {
      // Behind schedule: yield to I/O (PUBACKs) and carry on with what is due.
      immediate = setImmediate(tick);
      return;
    }
    if (now >= endUs) {
      void stop();
      return;
    }
    const wake = Math.min(queue.peekTime() ?? endUs, endUs);
    timer = setTimeout(tick, Math.min(MAX_SLEEP_MS, Math.max(0, Math.ceil((wake - now) / 1000))));
  };

  const progress =
    o.onProgress === undefined ? undefined : setInterval(() => o.onProgress?.(stats()), o.progressIntervalMs).unref();

  // ---- stopping ----------------------------------------------------------------------------
  let resolveDone: (s: FleetStats) => void = () => {};
  const done = new Promise<FleetStats>((resolve) => {
    resolveDone = resolve;
  });
  let stopPromise: Promise<FleetStats> | undefined;

  const closeSensor = async (s: VirtualSensor): Promise<void> => {
    const link = s.link;
    if (link === undefined) return;
    let clean = s.inflight === 0;
    if (clean && s.connected) {
      const published = new Promise<boolean>((resolve) => {
        link.publish(s.statusTopic, SHUTDOWN_STATUS, true, (err) => resolve(err === undefined));
      });
      clean = (await within(published, STATUS_TIMEOUT_MS)) === true;
    }
    // A clean close sends DISCONNECT, so the broker discards the will; a forced one drops the socket.
    await within(
      link.close(!clean).catch((err: Error) => {
        c.lastError = `${s.id}: close: ${err.message}`;
      }),
      CLOSE_TIMEOUT_MS,
    );
  };

  const stop = (): Promise<FleetStats> => {
    stopPromise ??= (async () => {
      stopping = true;
      clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      if (progress !== undefined) clearInterval(progress);
      queue.clear();
      const deadline = Date.now() + o.drainTimeoutMs;
      while (c.inflight > 0 && Date.now() < deadline) await sleep(10);
      await Promise.all(sensors.map(closeSensor));
      finishedUs = nowUs();
      const final = stats();
      resolveDone(final);
      return final;
    })();
    return stopPromise;
  };

  openMore();
  tick();
  const commandBehaviours = new Map(sensors.map((s) => [s.id, s.behaviour]));
  return { sensorIds: ids, commandBehaviours, stats, stop, done };
}
