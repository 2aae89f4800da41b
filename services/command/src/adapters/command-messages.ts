import type { Delivery, Parsed } from "@sensorstream/bus";
import {
  type AckMessage,
  ackMessageSchema,
  type CommandDelivered,
  commandDeliveredSchema,
  type Presence,
  parseBusMessage,
  presenceSchema,
} from "@sensorstream/contracts";

export type CommandInput =
  | { kind: "ack"; message: AckMessage }
  | { kind: "delivered"; message: CommandDelivered }
  | { kind: "presence"; message: Presence };

/** Parses what arrives on command.acks, by routing key; `onBadAck` counts a malformed ack. Never throws. */
export function commandParser(onBadAck: () => void): (d: Delivery) => Parsed<CommandInput> {
  return (d) => {
    const key = d.routingKey;
    if (key.endsWith(".commands.ack")) {
      const r = parseBusMessage(ackMessageSchema, d.content, key);
      if (!r.ok) onBadAck();
      return r.ok ? { ok: true, message: { kind: "ack", message: r.message } } : r;
    }
    if (key.endsWith(".commands.delivered")) {
      const r = parseBusMessage(commandDeliveredSchema, d.content, key);
      return r.ok ? { ok: true, message: { kind: "delivered", message: r.message } } : r;
    }
    if (key.endsWith(".presence")) {
      const r = parseBusMessage(presenceSchema, d.content, key);
      return r.ok ? { ok: true, message: { kind: "presence", message: r.message } } : r;
    }
    return { ok: false, error: `the command service does not handle routing key ${key}` };
  };
}
