import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { boundaryViolations, readServices, specifiersOf } from "../fixtures/boundaries.js";

const tree = (files: Record<string, string>) => new Map(Object.entries(files));

describe("service boundaries: no service imports another", () => {
  it("finds every kind of import in a source", () => {
    const source = `import { a } from "@sensorstream/a";
import type { B } from '@sensorstream/b';
export { c } from "./c.js";
import "side-effect";
const d = await import("@sensorstream/d");
const e = require("e");`;
    expect(specifiersOf(source)).toStrictEqual([
      "@sensorstream/a",
      "@sensorstream/b",
      "./c.js",
      "side-effect",
      "@sensorstream/d",
      "e",
    ]);
  });

  it("refuses another service by package name, by relative path, in package.json and in tsconfig references", () => {
    const found = boundaryViolations(
      tree({
        "services/api/src/a.ts": 'import { SensorAdmin } from "@sensorstream/registry";',
        "services/api/src/b.ts": 'export { x } from "../../registry/src/x.js";',
        "services/api/package.json": JSON.stringify({ dependencies: { "@sensorstream/registry": "0.1.0" } }),
        "services/api/tsconfig.json": JSON.stringify({ references: [{ path: "../registry" }] }),
        "services/registry/src/index.ts": "export const x = 1;",
      }),
    );
    expect(found).toStrictEqual([
      { file: "services/api/src/a.ts", specifier: "@sensorstream/registry", service: "registry" },
      { file: "services/api/src/b.ts", specifier: "../../registry/src/x.js", service: "registry" },
      { file: "services/api/package.json", specifier: "@sensorstream/registry", service: "registry" },
      { file: "services/api/tsconfig.json", specifier: "../registry", service: "registry" },
    ]);
  });

  it("allows libs, a service's own files and packages, all-in-one and anything outside services/", () => {
    const found = boundaryViolations(
      tree({
        "services/api/src/a.ts": 'import { x } from "@sensorstream/sensors";\nimport { y } from "../core/y.js";',
        "services/api/src/b.ts": 'import { z } from "@sensorstream/api";\nimport f from "fastify";',
        "services/api/tsconfig.json": JSON.stringify({ references: [{ path: "../../libs/sensors" }] }),
        "services/all-in-one/src/platform.ts": 'import { startRegistry } from "@sensorstream/registry";',
        "services/registry/src/index.ts": "export const x = 1;",
        "test/e2e/harness.ts": 'import { startRegistry } from "@sensorstream/registry";',
      }),
    );
    expect(found).toStrictEqual([]);
  });

  it("holds for this repository", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const services = readServices(root);
    expect(services.size).toBeGreaterThan(50);
    expect(boundaryViolations(services)).toStrictEqual([]);
  });
});
