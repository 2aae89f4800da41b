import { type CredentialRevoked, credentialRevokedSchema } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { CredentialDirectory } from "./directory.js";
import type { GatewayMetrics } from "./metrics.js";
import type { Sessions } from "./sessions.js";

/**
 * credentials.revoked: look the credential up again (bypassing the cache) and end every live session of that
 * principal on this replica that no longer authenticates: its token hash is not the stored one any more, or the
 * sensor or subscriber is gone. A session ended this way publishes nothing more, not even its Last Will.
 */
export class RevocationHandler {
  constructor(
    private readonly o: {
      sessions: Sessions;
      directory: CredentialDirectory | undefined;
      metrics: GatewayMetrics;
      logger: Logger;
    },
  ) {}

  /** One event from the bus (a malformed one is counted and ignored: it names nothing we can act on). */
  onMessage(content: Buffer): Promise<void> {
    let event: CredentialRevoked;
    try {
      event = credentialRevokedSchema.parse(JSON.parse(content.toString("utf8")));
    } catch (err) {
      this.o.metrics.revocations.inc({ outcome: "invalid" });
      this.o.logger.warn({ err }, "ignoring a malformed credentials.revoked event");
      return Promise.resolve();
    }
    return this.check(event.principal, event.id);
  }

  /** Re-checks every live session (after the replica queue was lost for a while and events may have been missed). */
  async checkAll(): Promise<void> {
    for (const p of [...this.o.sessions.principalList()]) await this.check(p.principal, p.id);
  }

  async check(principal: "sensor" | "subscriber", id: string): Promise<void> {
    const clients = this.o.sessions.of(principal, id);
    const directory = this.o.directory;
    if (clients.length === 0 || !directory) {
      this.o.metrics.revocations.inc({ outcome: "none" });
      return;
    }
    let current: string | null;
    try {
      current =
        principal === "sensor"
          ? await directory.sensorTokenHash(id, { fresh: true })
          : ((await directory.subscriber(id, { fresh: true }))?.tokenHash ?? null);
    } catch (err) {
      // The credential store is down: keep the sessions (they authenticated) and say so; the next event re-checks.
      this.o.logger.error({ err, principal, id }, "cannot re-check a revoked credential");
      this.o.metrics.revocations.inc({ outcome: "error" });
      return;
    }
    let closed = 0;
    for (const client of clients) {
      const session = this.o.sessions.get(client);
      if (!session || (current !== null && session.tokenHash === current)) continue;
      session.revoked = true;
      closed++;
      client.close();
    }
    this.o.metrics.revocations.inc({ outcome: closed > 0 ? "closed" : "none" });
    if (closed > 0) this.o.logger.info({ principal, id, sessions: closed }, "ended sessions of a revoked credential");
  }
}
