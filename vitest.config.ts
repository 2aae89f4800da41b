import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources of the workspace packages, not their build output.
const alias = {
  "@sensorstream/contracts": src("./libs/contracts/src/index.ts"),
  "@sensorstream/bus": src("./libs/bus/src/index.ts"),
  "@sensorstream/db": src("./libs/db/src/index.ts"),
  "@sensorstream/runtime": src("./libs/runtime/src/index.ts"),
  "@sensorstream/gateway": src("./services/gateway/src/index.ts"),
  "@sensorstream/registry": src("./services/registry/src/index.ts"),
  "@sensorstream/log-ingester": src("./services/log-ingester/src/index.ts"),
  "@sensorstream/api": src("./services/api/src/index.ts"),
  "@sensorstream/measurement-ingester": src("./services/measurement-ingester/src/index.ts"),
  "@sensorstream/simulator": src("./services/simulator/src/index.ts"),
  "@sensorstream/all-in-one": src("./services/all-in-one/src/index.ts"),
};

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
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
