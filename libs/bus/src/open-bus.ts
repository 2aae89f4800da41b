import type { Logger, Registry } from "@sensorstream/runtime";
import { PgBus } from "./pg/pg-bus.js";
import type { Bus } from "./port.js";
import { RabbitBus } from "./rabbit-bus.js";

export type OpenBusOptions = {
  /** amqp(s)://… is RabbitMQ; postgres(ql)://… is the embedded bus in that database (schema `bus`). */
  url: string;
  name: string;
  logger: Logger;
  registry: Registry;
  waitForConnectionMs?: number;
};

/** The bus AMQP_URL names: RabbitMQ, or the embedded bus on PostgreSQL (npm start on a machine without RabbitMQ). */
export function openBus(o: OpenBusOptions): Bus {
  const { url, ...rest } = o;
  const wait = o.waitForConnectionMs === undefined ? {} : { waitForConnectionMs: o.waitForConnectionMs };
  if (isEmbeddedBusUrl(url))
    return new PgBus({ url, name: rest.name, logger: rest.logger, registry: rest.registry, ...wait });
  return new RabbitBus({ url, name: rest.name, logger: rest.logger, registry: rest.registry, ...wait });
}

/** A PostgreSQL URL as AMQP_URL selects the embedded bus. */
export const isEmbeddedBusUrl = (url: string): boolean => /^postgres(ql)?:/i.test(url);
