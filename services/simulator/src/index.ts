export { parseSimulatorArgs, type SimulatorCommand, USAGE_EXIT_CODE } from "./cli.js";
export { type Credentials, parseCredentials } from "./credentials.js";
export { type Fleet, type FleetDeps, startFleet } from "./fleet.js";
export type { LinkEvents, LinkSpec, OpenLink, SensorLink } from "./link.js";
export { openMqttLink } from "./mqtt-link.js";
export { type FleetOptions, type FleetStats, validateFleetOptions } from "./options.js";
export { birthStatus, buildDataMessage, type DataMessage, type WireReading } from "./payload.js";
export { ProvisionError, type ProvisionOptions, provisionSensors } from "./provision.js";
export { exitCodeFor, formatProgress, formatSummary } from "./report.js";
export { messageDueUs, phaseOffsetUs, type SensorClock, sampleTimeUs, sensorId, sensorIds } from "./schedule.js";
export { type FleetSetup, prepareFleet, type SetupDeps } from "./setup.js";
export {
  createAccelerometerSignal,
  createGpsSignal,
  createSignal,
  createTemperatureSignal,
  createVibrationSignal,
  DEFAULT_ORIGIN,
  type GeoPoint,
  type Random,
  type Sample,
  SENSOR_TYPES,
  type SensorType,
  type Signal,
  type SignalOptions,
  seededRandom,
} from "./signals.js";
