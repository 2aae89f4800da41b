import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { listMigrations, TIMESCALE_MODES } from "./index.js";

const dirs: string[] = [];

/** A migrations directory holding empty files with these names. */
async function dirWith(files: string[]): Promise<URL> {
  const dir = await mkdtemp(join(tmpdir(), "sensorstream-migrations-"));
  dirs.push(dir);
  await Promise.all(files.map((f) => writeFile(join(dir, f), "SELECT 1;\n")));
  return pathToFileURL(`${dir}/`);
}

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe("listMigrations", () => {
  it("lists the shipped migrations, the common file before its variants", async () => {
    const list = await listMigrations();
    expect(list.length).toBeGreaterThanOrEqual(2);
    expect(list.slice(0, 2)).toStrictEqual([
      { id: "0001_measurements", file: "0001_measurements.sql", variant: "common" },
      { id: "0001_measurements.timescale", file: "0001_measurements.timescale.sql", variant: "timescale" },
    ]);
    for (const m of list) expect(m.file).toMatch(/^\d{4}_[a-z0-9_]+(\.timescale|\.postgres)?\.sql$/);
    expect(new Set(list.map((m) => m.id)).size).toBe(list.length);
  });

  it("orders by number, each common file before its variants, and ignores other files", async () => {
    const dir = await dirWith([
      "0002_logs.sql",
      "0001_measurements.postgres.sql",
      "0001_measurements.timescale.sql",
      "0001_measurements.sql",
      "0010_late.sql",
      "0001_measurements_extra.sql",
      "README.md",
      "0003_notes.sql.bak",
      "0002_logs.postgres.sql",
    ]);
    expect(await listMigrations(dir)).toStrictEqual([
      { id: "0001_measurements", file: "0001_measurements.sql", variant: "common" },
      { id: "0001_measurements.postgres", file: "0001_measurements.postgres.sql", variant: "postgres" },
      { id: "0001_measurements.timescale", file: "0001_measurements.timescale.sql", variant: "timescale" },
      { id: "0001_measurements_extra", file: "0001_measurements_extra.sql", variant: "common" },
      { id: "0002_logs", file: "0002_logs.sql", variant: "common" },
      { id: "0002_logs.postgres", file: "0002_logs.postgres.sql", variant: "postgres" },
      { id: "0010_late", file: "0010_late.sql", variant: "common" },
    ]);
  });

  it("keeps a variant without a common file in number order", async () => {
    const dir = await dirWith(["0002_b.sql", "0001_a.timescale.sql", "0003_c.postgres.sql"]);
    expect((await listMigrations(dir)).map((m) => [m.id, m.variant])).toStrictEqual([
      ["0001_a.timescale", "timescale"],
      ["0002_b", "common"],
      ["0003_c.postgres", "postgres"],
    ]);
  });

  it("lists nothing for an empty directory", async () => {
    expect(await listMigrations(await dirWith([]))).toStrictEqual([]);
  });

  it("fails for a missing directory", async () => {
    await expect(listMigrations(pathToFileURL("/nonexistent/sensorstream/migrations/"))).rejects.toThrow(/ENOENT/);
  });
});

describe("TIMESCALE_MODES", () => {
  it("are auto, require and off", () => {
    expect(TIMESCALE_MODES).toStrictEqual(["auto", "require", "off"]);
  });
});
