export type Seen = { lastUs: number; lat?: number; lon?: number; positionUs?: number };

/**
 * Remembers, per sensor, when it was last heard from and where it last was, between two activity
 * reports. One map write per publish; the registry gets one message every few seconds instead.
 */
export class ActivityTracker {
  #seen = new Map<string, Seen>();

  touch(sensorId: string, us: number, position?: { lat: number; lon: number; us: number }): void {
    const prev = this.#seen.get(sensorId);
    const next: Seen = prev ? { ...prev, lastUs: Math.max(prev.lastUs, us) } : { lastUs: us };
    if (position && (next.positionUs === undefined || position.us >= next.positionUs)) {
      next.lat = position.lat;
      next.lon = position.lon;
      next.positionUs = position.us;
    }
    this.#seen.set(sensorId, next);
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Takes everything seen since the last drain. */
  drain(): Map<string, Seen> {
    const out = this.#seen;
    this.#seen = new Map();
    return out;
  }

  /** Puts back a drained report that could not be sent, merged with what came since. */
  restore(report: Map<string, Seen>): void {
    for (const [id, s] of report) {
      this.touch(
        id,
        s.lastUs,
        s.lat !== undefined && s.lon !== undefined && s.positionUs !== undefined
          ? { lat: s.lat, lon: s.lon, us: s.positionUs }
          : undefined,
      );
    }
  }
}
