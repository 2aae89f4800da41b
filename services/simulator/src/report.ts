import type { FleetStats } from "./options.js";

/** "sent 12000 readings (1000/s), acked 11990, 10/10 connected", the rate over the last interval. */
export function formatProgress(previous: FleetStats | undefined, current: FleetStats): string {
  const dt = current.elapsed_s - (previous?.elapsed_s ?? 0);
  const delta = current.readings_sent - (previous?.readings_sent ?? 0);
  const rate = dt > 0 ? Math.round(delta / dt) : 0;
  let line =
    `sent ${current.readings_sent} readings (${rate}/s), acked ${current.readings_acked}, ` +
    `${current.connected}/${current.sensors} connected`;
  if (current.asleep > 0) line += `, ${current.asleep} asleep`;
  if (current.publish_errors > 0) line += `, ${current.publish_errors} publish errors`;
  if (current.commands_received > 0) {
    line += `; commands: ${current.commands_received} received, ${current.acks_ok} acked ok, ${current.acks_error} acked error`;
    if (current.commands_ignored > 0) line += `, ${current.commands_ignored} ignored`;
  }
  if (current.connected < current.sensors) {
    const why = Object.entries(current.not_connected)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `${n} ${reason}`);
    const waiting =
      current.sensors - current.connected - Object.values(current.not_connected).reduce((a, b) => a + b, 0);
    if (waiting > 0) why.push(`${waiting} not tried yet or connecting`);
    line += `; not connected: ${why.join(", ")} (retrying with backoff)`;
    if (current.last_error !== null) line += `; last error: ${current.last_error}`;
  }
  return line;
}

/** The human summary printed when the fleet stops. */
export function formatSummary(s: FleetStats): string {
  const unacked = s.readings_sent - s.readings_acked;
  return (
    `stopped after ${s.elapsed_s} s: ${s.sensors} sensors sent ${s.messages_sent} messages ` +
    `(${s.readings_sent} readings), acked ${s.messages_acked} (${s.readings_acked} readings, ` +
    `${s.values_acked} values, ${s.positions_acked} positions), ${s.readings_per_s} readings/s acked` +
    (unacked > 0 ? `; ${unacked} readings NOT acked` : "") +
    (s.publish_errors > 0 ? `; ${s.publish_errors} publish errors` : "") +
    (s.last_error !== null ? `; last error: ${s.last_error}` : "")
  );
}

/** 0 when every reading sent was acknowledged (and at least one sensor connected), 1 otherwise. */
export const exitCodeFor = (s: FleetStats): number =>
  s.readings_sent === s.readings_acked && s.publish_errors === 0 && s.messages_sent > 0 ? 0 : 1;
