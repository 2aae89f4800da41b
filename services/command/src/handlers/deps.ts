import type { CommandRecord } from "@sensorstream/commands";
import type { Logger } from "@sensorstream/runtime";
import type { CommandStore } from "../adapters/command-store.js";
import type { CommandMetrics } from "../metrics.js";

/** What every handler works with. */
export type HandlerDeps = {
  store: CommandStore;
  metrics: CommandMetrics;
  /** Publishes the command to its sensor's gateways (confirmed); rejects when the bus refuses it. */
  send: (c: CommandRecord) => Promise<void>;
  clock: () => number;
  logger: Logger;
};
