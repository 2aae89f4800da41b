/** Longest topic filter a read-only subscriber may be granted (the gateway refuses longer ones too). */
const MAX_FILTER_LENGTH = 256;

/**
 * What is wrong with an MQTT topic filter a subscriber would be granted, or undefined when it is fine.
 * Same rules as the gateway's check (services/gateway/src/core/access.ts), worded for the person fixing it.
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return "a topic filter cannot be empty";
  if (filter.length > MAX_FILTER_LENGTH) return `a topic filter is at most ${MAX_FILTER_LENGTH} characters`;
  if (filter.startsWith("$")) return "topics starting with $ (such as $SYS) cannot be granted";
  if (filter.includes("\u0000")) return "a topic filter cannot contain the NUL character";
  const levels = filter.split("/");
  for (const [i, level] of levels.entries()) {
    if (level === "#" && i !== levels.length - 1) return "# must be the last level (e.g. alerts/#)";
    if (level !== "#" && level !== "+" && (level.includes("#") || level.includes("+"))) {
      return `+ and # must fill a whole level; "${level}" mixes them with other characters`;
    }
  }
  return undefined;
}
