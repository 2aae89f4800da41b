import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Tests run against the TypeScript sources of the workspace packages, not their build output:
 * `@sensorstream/<folder>` is libs/<folder>/src/index.ts or services/<folder>/src/index.ts, found by
 * listing the folders, so a new lib or service needs no entry here.
 */
function workspaceAliases(): Record<string, string> {
  const alias: Record<string, string> = {};
  for (const area of ["libs", "services"]) {
    for (const folder of readdirSync(root(`./${area}`))) {
      const entry = root(`./${area}/${folder}/src/index.ts`);
      if (existsSync(entry)) alias[`@sensorstream/${folder}`] = entry;
    }
  }
  return alias;
}

const alias = workspaceAliases();

export default defineConfig({
  resolve: { alias },
  test: {
    // Two cores: two files at a time; each integration file has its own vhost and database.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["libs/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"] },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          // Finds PostgreSQL and RabbitMQ (env URLs, local servers, testcontainers, embedded) once per run.
          globalSetup: ["test/fixtures/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
