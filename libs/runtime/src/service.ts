import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import type { Health } from "./health.js";
import type { Logger } from "./logger.js";
import type { Registry } from "./metrics.js";

/** What a process hands each service it starts: main.ts, the all-in-one process and the tests alike. */
export type ServiceDeps = {
  /** The service's own logger: a child of the process's root logger carrying `{ service: name }`. */
  logger: Logger;
  /** The process's metrics registry (shared by every service of an all-in-one process). */
  registry: Registry;
  /** The process's readiness checks; a service registers its own, prefixed with its name. */
  health: Health;
  /** The process's HTTP server (/metrics /healthz /readyz). Only a service with `routes: true` adds routes to it. */
  http: FastifyInstance;
};

export type RunningService = { stop(): Promise<void> };

/**
 * A service, described once: its name, the zod schema over the environment it reads (built from the
 * shared fragments), and how to start it from that config. main.ts runs it with runService(), the
 * all-in-one process starts every description in one process, tests start it with their own config.
 */
export type ServiceDescription<S extends z.ZodObject = z.ZodObject, R extends RunningService = RunningService> = {
  /** kebab-case; the `service` field of its log lines, its AMQP connection and PostgreSQL application name. */
  readonly name: string;
  readonly configSchema: S;
  /**
   * True when start() adds routes to deps.http. fastify takes no routes once listening, so the
   * process then listens after start() (and stops listening before stop(), letting requests finish);
   * otherwise it listens first, so /healthz answers while the service waits for RabbitMQ or PostgreSQL.
   */
  readonly routes?: boolean;
  /** Resolves once the service runs (it may still wait for RabbitMQ or PostgreSQL: see deps.health). */
  start(config: Readonly<z.output<S>>, deps: ServiceDeps): Promise<R>;
};

/** Identity, for type inference: `export const fooService = defineService({ name: "foo", configSchema, start })`. */
export const defineService = <S extends z.ZodObject, R extends RunningService>(
  description: ServiceDescription<S, R>,
): ServiceDescription<S, R> => description;
