/**
 * The workspace wiring that cannot be a wildcard: `tsc -b` needs explicit project references. Adding
 * a lib or service means a reference in the root tsconfig.json and references that match its
 * package.json dependencies (the build order); nothing else (the aliases of vitest.config.ts and
 * the paths of tsconfig.check.json find every package by its folder).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { at, ROOT } from "./deploy-support.js";

type Json = { references?: Array<{ path: string }>; dependencies?: Record<string, string>; name?: string };
const read = (...parts: string[]): Json => JSON.parse(readFileSync(at(...parts), "utf8")) as Json;

/** Every workspace package folder (libs/*, services/*, test), relative to the root. */
const packages = (): string[] => [
  ...["libs", "services"].flatMap((area) =>
    readdirSync(at(area), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(at(area, d.name, "package.json")))
      .map((d) => `${area}/${d.name}`),
  ),
  "test",
];
const referenced = (dir: string): string[] =>
  (read(dir, "tsconfig.json").references ?? []).map((r) => relative(ROOT, resolve(at(dir), r.path))).sort();
const folderOf = new Map(packages().map((dir) => [read(dir, "package.json").name ?? "", dir]));

describe("workspace wiring", () => {
  it("the root tsconfig.json builds every workspace package", () => {
    expect(referenced(".")).toStrictEqual(packages().sort());
  });

  it.each(packages())(
    "%s is named after its folder and references exactly the workspace packages it depends on",
    (dir) => {
      const pkg = read(dir, "package.json");
      if (dir !== "test") expect(pkg.name).toBe(`@sensorstream/${dir.split("/")[1]}`);
      const deps = Object.keys(pkg.dependencies ?? {})
        .filter((d) => folderOf.has(d))
        .map((d) => folderOf.get(d) as string)
        .sort();
      expect(referenced(dir)).toStrictEqual(deps);
    },
  );

  it("tsconfig.check.json finds every package by a wildcard, not by a per-package entry", () => {
    const check = JSON.parse(readFileSync(join(ROOT, "tsconfig.check.json"), "utf8")) as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    expect(check.compilerOptions.paths).toStrictEqual({
      "@sensorstream/*": ["./libs/*/src/index.ts", "./services/*/src/index.ts"],
    });
    for (const dir of packages().filter((d) => d !== "test"))
      expect(existsSync(at(dir, "src", "index.ts")), dir).toBe(true);
  });
});
