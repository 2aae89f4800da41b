import { checkSchemaVersion, type RejectReason, sensorIdFromRoutingKey } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { Delivery } from "../consumer.js";
import type { Message, Parse } from "./types.js";

export type Opened<T> =
  | { ok: true; message: Message<T> }
  | { ok: false; reason: RejectReason; error: string; sensorId: string | undefined; schemaVersion: number | undefined };

type Context = { consumer: string; logger: Logger; versions: readonly number[] };

/** Checks the schema version, parses with the contract, and wraps the result for the handler. Never throws. */
export function openDelivery<T>(d: Delivery, parse: Parse<T>, c: Context): Opened<T> {
  const keySensor = sensorIdFromRoutingKey(d.routingKey);
  const version = checkSchemaVersion(d.headers, c.versions);
  if (!version.ok) {
    return {
      ok: false,
      reason: "unsupported_version",
      error: version.error,
      sensorId: keySensor,
      schemaVersion: undefined,
    };
  }
  const parsed = parse(d);
  if (!parsed.ok) {
    const reason = parsed.reason ?? "invalid_payload";
    return { ok: false, reason, error: parsed.error, sensorId: keySensor, schemaVersion: version.version };
  }
  const body = parsed.message;
  const fields = (typeof body === "object" && body !== null ? body : {}) as { sensor_id?: unknown; msg_id?: unknown };
  const sensorId = keySensor ?? (typeof fields.sensor_id === "string" ? fields.sensor_id : undefined);
  const msgId = d.messageId ?? (typeof fields.msg_id === "string" ? fields.msg_id : `${c.consumer}-${d.routingKey}`);
  let child: Logger | undefined;
  return {
    ok: true,
    message: {
      body,
      msgId,
      routingKey: d.routingKey,
      sensorId,
      redelivered: d.redelivered,
      schemaVersion: version.version,
      // Created on first use: most messages are handled without logging anything.
      get logger() {
        child ??= childLogger(c, sensorId, msgId);
        return child;
      },
    },
  };
}

function childLogger(c: Context, sensorId: string | undefined, msgId: string): Logger {
  const bindings: Record<string, unknown> = { consumer: c.consumer, msg_id: msgId };
  if (sensorId !== undefined) bindings.sensor_id = sensorId;
  // The root logger of a service carries `service`; one shared by several (tests, tools) may not.
  if (!("service" in c.logger.bindings())) bindings.service = c.consumer;
  return c.logger.child(bindings);
}
