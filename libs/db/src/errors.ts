/**
 * Permanent: the data itself cannot be stored (SQLSTATE class 22 data exception, 23 integrity
 * violation). Retrying cannot help; the message is dead-lettered. Everything else (connection
 * loss, shutdown, resources, missing table during a migration) is transient and retried.
 */
export function isPermanentDataError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

export const errorCode = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
};
