import type { Alert } from "@sensorstream/contracts";
import type { PoolClient } from "@sensorstream/db";

/**
 * Queues alerts in the transaction that changes the alarms: the alarm service publishes them after the commit
 * and deletes each once the broker confirmed it (a crash in between publishes it again: at least once).
 */
export async function queueAlerts(client: PoolClient, alerts: readonly Alert[]): Promise<void> {
  if (alerts.length === 0) return;
  await client.query(
    `INSERT INTO alarm_outbox (sensor_id, alert)
     SELECT u.sensor_id, u.alert FROM unnest($1::text[], $2::jsonb[]) WITH ORDINALITY AS u(sensor_id, alert, n)
      ORDER BY u.n`,
    [alerts.map((a) => a.sensor_id), alerts.map((a) => JSON.stringify(a))],
  );
}
