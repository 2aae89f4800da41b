/**
 * The entry point of one worker thread of `npm start` (see threads.ts): starts one platform service by name with
 * its own metrics registry and readiness checks, and answers the main thread's questions about them. Log lines go
 * to the main thread, which writes them to its own destination, so a thread logs exactly like the rest.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLogger, createRegistry, Health, PortInUseError, VERSION } from "@sensorstream/runtime";
import type { FastifyInstance } from "fastify";
import { PLATFORM_SERVICES } from "./services.js";
import type { FromThread, ThreadData, ToThread } from "./thread-messages.js";

const port = parentPort;
if (!port) throw new Error("service-thread.js runs as a worker thread of npm start only");
const data = workerData as ThreadData;
const post = (m: FromThread) => port.postMessage(m);

const service = PLATFORM_SERVICES.find((s) => s.name === data.service);
if (!service) throw new Error(`no platform service named ${data.service}`);
const logger = createLogger({
  version: VERSION,
  service: service.name,
  level: data.logLevel,
  destination: { write: (line: string) => post({ t: "log", line }) },
});
// Process metrics (CPU, memory, event loop) are the main thread's: the process is one.
const registry = createRegistry({ defaultMetrics: false });
const health = new Health();
// Only services without routes run in a thread (checked by the main thread); this server is never listened on.
const noHttp = undefined as unknown as FastifyInstance;

try {
  const running = await service.start(data.config as never, { logger, registry, health, http: noHttp });
  const gateway = running as { mqttPort?: number; wsPort?: number | undefined };
  const ports = gateway.mqttPort === undefined ? {} : { mqttPort: gateway.mqttPort, wsPort: gateway.wsPort };
  const reportHealth = () => post({ t: "health", checks: health.report().checks });
  const timer = setInterval(reportHealth, data.healthIntervalMs);
  reportHealth();
  port.on("message", (m: ToThread) => {
    if (m.t === "metrics") {
      registry.getMetricsAsJSON().then(
        (metrics) => post({ t: "metrics", id: m.id, metrics }),
        () => post({ t: "metrics", id: m.id, metrics: [] }),
      );
    } else if (m.t === "stop") {
      clearInterval(timer);
      running.stop().then(
        () => post({ t: "stopped" }),
        (err: unknown) => post({ t: "stopped", error: String(err) }),
      );
    }
  });
  post({ t: "started", ...ports });
} catch (err) {
  const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  if (err instanceof PortInUseError)
    post({ t: "failed", error, portInUse: { variable: err.variable, port: err.port } });
  else post({ t: "failed", error });
}
