import type { RejectReason } from "@sensorstream/contracts";

/**
 * Thrown by a handler for a message that can never succeed (bad data, a constraint it violates): it is dead-lettered
 * with `reason` at once. Any other error a handler throws is transient and the message is retried.
 */
export class PermanentError extends Error {
  constructor(
    readonly reason: RejectReason,
    message: string,
  ) {
    super(message);
    this.name = "PermanentError";
  }
}
