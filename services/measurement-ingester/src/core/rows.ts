import type { MeasurementMessage } from "@sensorstream/contracts";

/** Rows a message will produce: what the batch size limit counts. */
export const rowCount = (m: MeasurementMessage): number => {
  let n = 0;
  for (const r of m.readings) {
    n += Object.keys(r.values).length + (r.lat !== undefined ? 1 : 0);
  }
  return n;
};
