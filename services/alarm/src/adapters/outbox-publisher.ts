import { inTransaction } from "@sensorstream/alarms";
import type { Bus } from "@sensorstream/bus";
import { type Alert, alarmRoutingKey } from "@sensorstream/contracts";
import type { Pool } from "@sensorstream/db";

/** Alerts published per round; a longer outbox is drained over the following rounds. */
const ROUND = 500;

/**
 * Publishes queued alerts (alarm_outbox) on sensor_<id>.alarms.trigger and deletes them once the broker confirmed
 * them. Rows are claimed FOR UPDATE SKIP LOCKED, so two replicas draining at once never publish the same row twice
 * (a crash after the publish and before the delete publishes it again: at least once; the alert carries the
 * alarm_id and state, so a subscriber can tell). Not mandatory: with no gateway running the alarm is still in the
 * table, which is the durable record. Returns how many were published.
 */
export async function drainOutbox(pool: Pool, bus: Bus): Promise<number> {
  return inTransaction(pool, async (c) => {
    const r = await c.query<{ id: string; sensor_id: string; alert: Alert }>(
      "SELECT id, sensor_id, alert FROM alarm_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
      [ROUND],
    );
    if (r.rows.length === 0) return 0;
    // One channel keeps the publishes in call order: an alarm's raised still reaches subscribers before its cleared.
    await Promise.all(
      r.rows.map((row) =>
        bus.publish(alarmRoutingKey(row.sensor_id), Buffer.from(JSON.stringify(row.alert)), {
          messageId: `${row.alert.alarm_id}.${row.alert.state}`,
          mandatory: false,
        }),
      ),
    );
    await c.query("DELETE FROM alarm_outbox WHERE id = ANY($1::bigint[])", [r.rows.map((row) => row.id)]);
    return r.rows.length;
  });
}
