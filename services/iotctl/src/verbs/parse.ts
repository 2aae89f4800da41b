import { usageError } from "../errors.js";

/** Option and argument parsers: a bad value is a usage error (exit 2) that names the flag. */
export const positiveInt =
  (flag: string) =>
  (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} must be a whole number of at least 1, not "${text}"`);
    return n;
  };

export const positiveNumber =
  (what: string) =>
  (text: string): number => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isFinite(n) || n <= 0) {
      throw usageError(`${what} must be a number greater than 0, not "${text}"`);
    }
    return n;
  };
