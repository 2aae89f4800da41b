import { z } from "zod";

/** A sensor id: no dots (they separate AMQP routing-key words), no MQTT wildcards, at most 64 characters. */
export const SENSOR_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const sensorIdSchema = z
  .string()
  .regex(SENSOR_ID_PATTERN, "a sensor id is 1-64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");

export const isSensorId = (value: string): boolean => SENSOR_ID_PATTERN.test(value);
