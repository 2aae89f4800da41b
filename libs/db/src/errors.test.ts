import { describe, expect, it } from "vitest";
import { errorCode, isPermanentDataError } from "./index.js";

/** What pg raises: an Error with the SQLSTATE in `code`. */
const pgError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

describe("isPermanentDataError", () => {
  it.each([
    ["22001", "string_data_right_truncation"],
    ["22003", "numeric_value_out_of_range"],
    ["22007", "invalid_datetime_format"],
    ["22008", "datetime_field_overflow"],
    ["22021", "character_not_in_repertoire (e.g. a NUL byte)"],
    ["22P02", "invalid_text_representation"],
    ["22P04", "bad_copy_file_format"],
    ["22P05", "untranslatable_character"],
    ["23502", "not_null_violation"],
    ["23503", "foreign_key_violation (unknown sensor)"],
    ["23505", "unique_violation"],
    ["23514", "check_violation (lat out of range)"],
  ])("%s (%s) is permanent", (code) => {
    expect(isPermanentDataError(pgError(code))).toBe(true);
  });

  it.each([
    ["08006", "connection_failure"],
    ["08001", "sqlclient_unable_to_establish_sqlconnection"],
    ["40001", "serialization_failure"],
    ["40P01", "deadlock_detected"],
    ["42P01", "undefined_table (mid-migration)"],
    ["53300", "too_many_connections"],
    ["55P03", "lock_not_available"],
    ["57P01", "admin_shutdown"],
    ["57014", "query_canceled"],
    ["XX000", "internal_error"],
    ["ECONNREFUSED", "a Node socket error"],
    ["ETIMEDOUT", "a Node socket error"],
    ["2200", "too short"],
    ["220001", "too long"],
    ["22p02", "lower case"],
    ["x22001", "prefixed"],
  ])("%s (%s) is transient", (code) => {
    expect(isPermanentDataError(pgError(code))).toBe(false);
  });

  it.each([
    ["undefined", undefined],
    ["null", null],
    ["a string", "22001"],
    ["a plain Error", new Error("timeout")],
    ["a numeric code", { code: 22001 }],
  ])("%s is not permanent", (_what, err) => {
    expect(isPermanentDataError(err)).toBe(false);
  });
});

describe("errorCode", () => {
  it("returns the string code or undefined", () => {
    expect(errorCode(pgError("23505"))).toBe("23505");
    expect(errorCode({ code: "ECONNRESET" })).toBe("ECONNRESET");
    expect(errorCode({ code: 7 })).toBeUndefined();
    expect(errorCode(new Error("x"))).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
  });
});
