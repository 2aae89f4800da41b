import type { CommandRecord } from "@sensorstream/commands";
import type { Logger } from "@sensorstream/runtime";
import type { CommandStore, Reachable } from "../adapters/command-store.js";
import type { Needed } from "../core/converge.js";
import type { CommandMetrics } from "../metrics.js";

/** What every handler works with. */
export type HandlerDeps = {
  store: CommandStore;
  /** A sensor's open commands and settings; lookups of many sensors at once share one query (BatchLookup). */
  reachable: (sensorId: string) => Promise<Reachable>;
  metrics: CommandMetrics;
  /** Publishes the command to its sensor's gateways (confirmed); rejects when the bus refuses it. */
  send: (c: CommandRecord) => Promise<void>;
  /** Issues new commands (each `queued`, DEFAULT_TTL_S) for one sensor; returns them. */
  issue: (sensorId: string, commands: readonly Needed[]) => Promise<CommandRecord[]>;
  clock: () => number;
  logger: Logger;
};
