import { deviceTopicFor } from "@sensorstream/contracts";
import { behaviourFor } from "./commands.js";
import type { ResolvedFleetOptions } from "./options.js";
import { phaseOffsetUs } from "./schedule.js";
import { createSignal } from "./signals.js";
import type { VirtualSensor } from "./virtual-sensor.js";

/** The fleet's sensors as they are before the first connect: ids, types, signals and phase-shifted clocks. */
export function createSensors(o: ResolvedFleetOptions, ids: readonly string[], startUs: number): VirtualSensor[] {
  return ids.map((id, i) => {
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
      notConnected: undefined,
      link: undefined,
    };
  });
}
