import { describe, expect, it } from "vitest";
import { CURRENT_SCHEMA_VERSION, checkSchemaVersion, SCHEMA_VERSION_HEADER } from "./schema-version.js";

describe("checkSchemaVersion", () => {
  it("reads a message without the header as version 1 (queued before versions were stamped)", () => {
    expect(checkSchemaVersion({})).toEqual({ ok: true, version: 1 });
  });

  it("accepts the current version, as a number or a numeric string", () => {
    expect(checkSchemaVersion({ [SCHEMA_VERSION_HEADER]: CURRENT_SCHEMA_VERSION })).toEqual({ ok: true, version: 1 });
    expect(checkSchemaVersion({ [SCHEMA_VERSION_HEADER]: "1" })).toEqual({ ok: true, version: 1 });
  });

  it("refuses a version the consumer does not know, and says which it accepts", () => {
    const r = checkSchemaVersion({ [SCHEMA_VERSION_HEADER]: 2 });
    expect(r).toEqual({ ok: false, error: "schema version 2 is not supported (accepted: 1)" });
    expect(checkSchemaVersion({ [SCHEMA_VERSION_HEADER]: 2 }, [1, 2])).toEqual({ ok: true, version: 2 });
  });

  it("refuses a header that is not an integer", () => {
    for (const bad of ["two", 1.5, null, true]) {
      expect(checkSchemaVersion({ [SCHEMA_VERSION_HEADER]: bad }).ok, String(bad)).toBe(false);
    }
  });
});
