/**
 * The port between the fleet and one sensor's MQTT connection. The real adapter is
 * mqtt-link.ts (one mqtt.js client per sensor); unit tests pass a hand-written fake.
 */

export type LinkSpec = {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** CA certificate(s) for mqtts:// and wss:// (the system's trust store otherwise). */
  ca?: string | Buffer;
  /** Retained, QoS 1; published by the broker if the connection dies without a DISCONNECT. */
  will: { topic: string; payload: string };
  /**
   * The wait before the next attempt after `failures` failed or dropped connections in a row (1, 2, …); a
   * successful connect starts the count again. The fleet passes an exponential backoff with jitter.
   */
  reconnectDelayMs: (failures: number) => number;
  connectTimeoutMs: number;
};

export type LinkEvents = {
  /** Every successful CONNACK, including after a reconnect. */
  onConnect: () => void;
  /** The connection closed (it may reconnect on its own). */
  onClose: () => void;
  onError: (err: Error) => void;
  /** A message on a subscribed topic (the sensor's commands). */
  onMessage: (topic: string, payload: Buffer) => void;
};

export type SensorLink = {
  /** QoS 1 publish; `done` runs once, on PUBACK (no error) or failure. */
  publish: (topic: string, payload: string, retain: boolean, done: (err?: Error) => void) => void;
  /**
   * QoS 1 subscription; `done` runs once, on SUBACK (no error) or failure. The session is clean, so the fleet
   * subscribes again on every connect.
   */
  subscribe: (topic: string, done: (err?: Error) => void) => void;
  /** Ends the session: force=false sends DISCONNECT after outstanding PUBACKs; force=true drops the socket. */
  close: (force: boolean) => Promise<void>;
};

export type OpenLink = (spec: LinkSpec, events: LinkEvents) => SensorLink;
