import { randomUUID } from "node:crypto";
import { openBus } from "@sensorstream/bus";
import { CREDENTIALS_REVOKED_ROUTING_KEY, type CredentialRevoked } from "@sensorstream/contracts";
import type { Logger, Registry } from "@sensorstream/runtime";

/** Tells every gateway replica that a credential changed, so its live sessions end (credentials.revoked). */
export type Revocations = {
  revoked(principal: CredentialRevoked["principal"], id: string, reason: CredentialRevoked["reason"]): Promise<void>;
};

/**
 * Publishes credentials.revoked, confirmed. Called after the database change committed: a gateway that re-checks
 * on the event must read the new state. Not mandatory: with no gateway running there is nobody to tell. A failed
 * publish is logged, not answered as an error: the change itself is done, and gateways stop accepting the old
 * credential for new connections when their cache expires.
 */
export async function busRevocations(o: {
  url: string;
  logger: Logger;
  registry: Registry;
}): Promise<Revocations & { close(): Promise<void> }> {
  const bus = openBus({ url: o.url, name: "api", logger: o.logger, registry: o.registry });
  await bus.declare([]);
  bus.start();
  return {
    async revoked(principal, id, reason) {
      const event: CredentialRevoked = {
        msg_id: randomUUID(),
        principal,
        id,
        reason,
        revoked_at: new Date().toISOString(),
      };
      try {
        await bus.publish(CREDENTIALS_REVOKED_ROUTING_KEY, Buffer.from(JSON.stringify(event)), {
          messageId: event.msg_id,
          mandatory: false,
        });
      } catch (err) {
        o.logger.warn({ err, principal, id }, "could not tell the gateways about a revoked credential");
      }
    },
    close: () => bus.close(),
  };
}

/** Nobody to tell (tests of the routes alone). */
export const noRevocations: Revocations = { revoked: async () => {} };
