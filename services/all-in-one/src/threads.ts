import { Worker } from "node:worker_threads";
import { destinationOf, type Health, type Logger, PortInUseError } from "@sensorstream/runtime";
import type { FromThread, ThreadData, ThreadMetrics, ToThread } from "./thread-messages.js";

/** The compiled worker entry; from src/ (the tests) and from dist/ alike, it is dist/service-thread.js. */
const ENTRY = new URL("../dist/service-thread.js", import.meta.url);

/** How often a thread reports its readiness checks; the main thread's readiness is at most this stale. */
const HEALTH_INTERVAL_MS = 250;
/** A thread that has not reported for this long is not ready (it is stuck or gone). */
const HEALTH_STALE_MS = 3_000;
const STOP_TIMEOUT_MS = 30_000;
const METRICS_TIMEOUT_MS = 2_000;

export type ServiceThread = {
  mqttPort: number | undefined;
  wsPort?: number | undefined;
  /** The thread's metrics, for the process's /metrics (merged with the main thread's). */
  metrics(): Promise<ThreadMetrics>;
  stop(): Promise<void>;
};

/**
 * Starts a platform service in a worker thread of this process: its own event loop (so the gateway's MQTT work and
 * the ingesters' database round trips stop waiting on each other) and its own connections, with its readiness
 * checks (`<check>` as the service names them, plus `<service>_thread`) registered on the process's Health and its
 * log lines written through the process's logger. `onFailure` runs if the thread dies after it started.
 */
export function startServiceThread(
  service: string,
  config: unknown,
  deps: { logger: Logger; health: Health; onFailure: (err: Error) => void },
): Promise<ServiceThread> {
  const { logger, health } = deps;
  const data: ThreadData = { service, config, logLevel: logger.level, healthIntervalMs: HEALTH_INTERVAL_MS };
  const worker = new Worker(ENTRY, { workerData: data, name: `sensorstream-${service}` });
  const stream = destinationOf(logger);
  const checks = new Map<string, boolean>();
  let reportedAt = 0;
  let exited = false;
  const metricsWaiting = new Map<number, (m: ThreadMetrics) => void>();
  let nextId = 0;
  let onStopped: (() => void) | undefined;
  const send = (m: ToThread) => worker.postMessage(m);

  health.register(`${service.replaceAll("-", "_")}_thread`, () => !exited && Date.now() - reportedAt < HEALTH_STALE_MS);
  return new Promise((resolve, reject) => {
    let started = false;
    worker.on("message", (m: FromThread) => {
      switch (m.t) {
        case "log":
          stream?.write(m.line);
          break;
        case "health":
          reportedAt = Date.now();
          for (const [name, ok] of Object.entries(m.checks)) {
            if (!checks.has(name)) health.register(name, () => checks.get(name) === true && !exited);
            checks.set(name, ok);
          }
          break;
        case "metrics":
          metricsWaiting.get(m.id)?.(m.metrics);
          metricsWaiting.delete(m.id);
          break;
        case "started":
          started = true;
          resolve({ mqttPort: m.mqttPort, wsPort: m.wsPort, metrics, stop });
          break;
        case "failed":
          // A taken port is the one failure npm start words for the user (main.ts): keep its type across the thread.
          reject(
            m.portInUse
              ? new PortInUseError(m.portInUse.variable, m.portInUse.port)
              : new Error(`${service} (thread) did not start: ${m.error}`),
          );
          // Whatever the failed start left open (a bus still retrying) must not keep the thread, or the process, up.
          void worker.terminate();
          break;
        case "stopped":
          if (m.error) logger.error({ service, error: m.error }, "error while stopping a service thread");
          onStopped?.();
          break;
      }
    });
    worker.on("error", (err) => {
      logger.error({ err, service }, "a service thread failed");
      if (started) deps.onFailure(err);
      else reject(err);
    });
    worker.on("exit", (code) => {
      exited = true;
      for (const done of metricsWaiting.values()) done([]);
      metricsWaiting.clear();
      onStopped?.();
      if (!started) reject(new Error(`${service} (thread) exited with code ${code} before it started`));
    });
  });

  /** The thread's metrics; none when it is gone or does not answer within METRICS_TIMEOUT_MS (a scrape never hangs). */
  function metrics(): Promise<ThreadMetrics> {
    if (exited) return Promise.resolve([]);
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        metricsWaiting.delete(id);
        logger.warn({ service }, "a service thread did not answer for /metrics in time; its metrics are left out");
        resolve([]);
      }, METRICS_TIMEOUT_MS);
      metricsWaiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      send({ t: "metrics", id });
    });
  }

  async function stop(): Promise<void> {
    if (exited) return;
    const stopped = new Promise<void>((resolve) => {
      onStopped = resolve;
    });
    send({ t: "stop" });
    const timeout = setTimeout(() => {
      logger.warn({ service }, "a service thread did not stop in time; terminating it");
      void worker.terminate();
    }, STOP_TIMEOUT_MS);
    await stopped;
    clearTimeout(timeout);
    await worker.terminate();
  }
}
