/** A sensor's ok ack of a command, as the registry reads it from its queue. */
export type AckedCommand = { sensorId: string; commandId: string };

type Item =
  | { kind: "status"; sensorId: string }
  | { kind: "ack"; sensorId: string; commandId: string; ok: boolean }
  | { kind: "other" };

/**
 * The ok acks whose command sets the sensor's reported mode or rate, in order: those after the sensor's last status
 * message of the batch (a later status says what the sensor does and wins over an earlier ack). Pure.
 */
export function ackedAfterLastStatus(items: readonly Item[]): AckedCommand[] {
  const lastStatus = new Map<string, number>();
  items.forEach((m, i) => {
    if (m.kind === "status") lastStatus.set(m.sensorId, i);
  });
  const out: AckedCommand[] = [];
  items.forEach((m, i) => {
    if (m.kind === "ack" && m.ok && i > (lastStatus.get(m.sensorId) ?? -1)) {
      out.push({ sensorId: m.sensorId, commandId: m.commandId });
    }
  });
  return out;
}
