import type { MetricsJson } from "@sensorstream/runtime";

/** What the main thread hands a service thread at its start. */
export type ThreadData = { service: string; config: unknown; logLevel: string; healthIntervalMs: number };

export type ThreadMetrics = MetricsJson;

/** Main thread → service thread. */
export type ToThread = { t: "metrics"; id: number } | { t: "stop" };

/** Service thread → main thread. */
export type FromThread =
  | { t: "started"; mqttPort?: number; wsPort?: number | undefined }
  /** portInUse: the service could not listen (PortInUseError), so the main thread can say so as it would itself. */
  | { t: "failed"; error: string; portInUse?: { variable: string; port: number } }
  | { t: "log"; line: string }
  | { t: "health"; checks: Record<string, boolean> }
  | { t: "metrics"; id: number; metrics: ThreadMetrics }
  | { t: "stopped"; error?: string };
