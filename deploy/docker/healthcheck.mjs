// Container health check without curl: exit 0 when GET http://127.0.0.1:$HTTP_PORT<path> answers 2xx.
// Usage: node healthcheck.mjs [/healthz|/readyz]   (the Dockerfile uses /healthz: liveness only)
const path = process.argv[2] ?? "/healthz";
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read in the container at run time, not by a turbo task
const port = Number(process.env.HTTP_PORT ?? "") || 8080;
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read in the container at run time, not by a turbo task
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? "") || 2000;

try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  process.exitCode = res.ok ? 0 : 1;
  if (!res.ok) console.error(`${path}: HTTP ${res.status}`);
} catch (err) {
  console.error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
