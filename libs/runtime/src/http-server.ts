import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { Health } from "./health.js";

export type OpsServerOptions = {
  /** What /metrics serves: a registry, or anything that renders one (npm start merges its threads' metrics). */
  registry: Pick<Registry, "contentType" | "metrics">;
  health: Health;
  bodyLimit?: number;
};

/**
 * The process's HTTP server: /metrics, /healthz (liveness: the process answers; never depends
 * on RabbitMQ or PostgreSQL) and /readyz (every registered check). API routes are added to it.
 */
export function createHttpServer(opts: OpsServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: opts.bodyLimit ?? 1024 * 1024 });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", opts.registry.contentType);
    return opts.registry.metrics();
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const r = opts.health.report();
    reply.code(r.ready ? 200 : 503);
    return { status: r.ready ? "ready" : "not_ready", checks: r.checks };
  });
  return app;
}

/** Listens and returns the bound port (useful when asked for port 0). */
export async function listen(app: FastifyInstance, port: number, host: string): Promise<number> {
  await app.listen({ port, host });
  const addr = app.server.address();
  return typeof addr === "object" && addr ? addr.port : port;
}
