import { checkSchemaVersion, type RejectReason, sensorIdFromRoutingKey } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { Delivery } from "../consumer.js";
import type { Message, Parse, ParsedOne, Part } from "./types.js";

type Opened<T> =
  | { ok: true; message: Message<T> }
  | { ok: false; reason: RejectReason; error: string; sensorId: string | undefined; schemaVersion: number | undefined };

type Context = { consumer: string; logger: Logger; versions: readonly number[] };

/** A delivery, or one part of a delivery that carries several, opened for the pipeline. */
export type Opening<T> = { d: Delivery; opened: Opened<T> };

/**
 * Checks the schema version, parses with the contract, and wraps the result for the handler. Never throws. A delivery
 * that carries several messages (Parsed `parts`) opens as one delivery per part, each settled on its own; the
 * delivery itself is acked once all of them are.
 */
export function openDelivery<T>(d: Delivery, parse: Parse<T>, c: Context): Opening<T>[] {
  const version = checkSchemaVersion(d.headers, c.versions);
  if (!version.ok) {
    const sensorId = sensorIdFromRoutingKey(d.routingKey);
    const opened: Opened<T> = {
      ok: false,
      reason: "unsupported_version",
      error: version.error,
      sensorId,
      schemaVersion: undefined,
    };
    return [{ d, opened }];
  }
  const parsed = parse(d);
  if (!("parts" in parsed)) return [{ d, opened: wrap(d, parsed, version.version, c) }];
  if (parsed.parts.length === 0) {
    const opened = wrap<T>(d, { ok: false, error: "the delivery holds no messages" }, version.version, c);
    return [{ d, opened }];
  }
  const parts = partDeliveries(d, parsed.parts);
  return parsed.parts.map((p, i) => {
    const pd = parts[i] as Delivery;
    return { d: pd, opened: wrap(pd, p.parsed, version.version, c) };
  });
}

function wrap<T>(d: Delivery, parsed: ParsedOne<T>, schemaVersion: number, c: Context): Opened<T> {
  const keySensor = sensorIdFromRoutingKey(d.routingKey);
  if (!parsed.ok) {
    const reason = parsed.reason ?? "invalid_payload";
    return { ok: false, reason, error: parsed.error, sensorId: keySensor, schemaVersion };
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
      schemaVersion,
      // Created on first use: most messages are handled without logging anything.
      get logger() {
        child ??= childLogger(c, sensorId, msgId);
        return child;
      },
    },
  };
}

/**
 * One delivery per part, each acked on its own; the delivery they came in is acked when the last of them is (and
 * returned to the queue whole if any part is nacked). Every part is live while the delivery is.
 */
function partDeliveries<T>(d: Delivery, parts: readonly Part<T>[]): Delivery[] {
  let unsettled = parts.length;
  let settled = false;
  return parts.map((p) => {
    let acked = false;
    return {
      get content() {
        return p.content();
      },
      routingKey: p.routingKey,
      messageId: p.messageId,
      headers: d.headers,
      redelivered: d.redelivered,
      live: d.live,
      ack() {
        if (acked || settled) return;
        acked = true;
        if (--unsettled === 0) {
          settled = true;
          d.ack();
        }
      },
      nack(requeue: boolean) {
        if (settled) return;
        settled = true;
        d.nack(requeue);
      },
    };
  });
}

function childLogger(c: Context, sensorId: string | undefined, msgId: string): Logger {
  const bindings: Record<string, unknown> = { consumer: c.consumer, msg_id: msgId };
  if (sensorId !== undefined) bindings.sensor_id = sensorId;
  // The root logger of a service carries `service`; one shared by several (tests, tools) may not.
  if (!("service" in c.logger.bindings())) bindings.service = c.consumer;
  return c.logger.child(bindings);
}
