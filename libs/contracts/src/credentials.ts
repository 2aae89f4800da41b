import { z } from "zod";

/**
 * Credential changes, for every gateway replica (each binds its own queue to this key):
 *   credentials.revoked   a sensor's token was rotated, or a sensor or read-only subscriber was deleted.
 * The event names whose credentials changed, never a secret. A gateway that receives it looks the credential up
 * again (bypassing its cache) and ends every live session of that principal that no longer authenticates.
 */
export const CREDENTIALS_REVOKED_ROUTING_KEY = "credentials.revoked";

export const credentialRevokedSchema = z.object({
  msg_id: z.string().min(1).max(64),
  principal: z.enum(["sensor", "subscriber"]),
  /** The sensor id, or the subscriber's name (without the `subscriber:` login prefix). */
  id: z.string().min(1).max(128),
  reason: z.enum(["rotated", "deleted"]),
  revoked_at: z.iso.datetime({ offset: true }),
});
export type CredentialRevoked = z.output<typeof credentialRevokedSchema>;
