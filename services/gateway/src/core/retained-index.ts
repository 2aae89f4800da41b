/**
 * Retained messages indexed by their first two topic levels. aedes' in-memory persistence answers every SUBSCRIBE by
 * matching the filter against every retained message; with each sensor's retained birth status that is one pass over
 * the whole fleet per connecting sensor (its commands subscription), quadratic in the fleet: 10,000 sensors connecting
 * spent most of the gateway's time there. A filter that starts with two literal levels (`sensors/<id>/commands/#`)
 * now looks only at the retained messages under them; other filters (`sensors/+/status`) still scan them all.
 */

/** What the index keeps of a retained packet: only its topic is read here. */
type Retained = { topic: string };

const prefixOf = (levels: readonly string[]): string | undefined =>
  levels.length >= 2 && isLiteral(levels[0]) && isLiteral(levels[1]) ? `${levels[0]}/${levels[1]}` : undefined;
const isLiteral = (level: string | undefined): boolean => level !== undefined && level !== "+" && level !== "#";

/** MQTT 3.1.1 topic filter matching (section 4.7): `+` one level, `#` the rest (and the parent), `$` topics apart. */
export function topicMatches(filter: readonly string[], topic: readonly string[]): boolean {
  if (topic[0]?.startsWith("$") && !isLiteral(filter[0])) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    if (f === "#") return true;
    if (i >= topic.length) return false;
    if (f !== "+" && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

export class RetainedIndex<P extends Retained> {
  readonly #byTopic = new Map<string, P>();
  readonly #byPrefix = new Map<string, Set<string>>();

  get size(): number {
    return this.#byTopic.size;
  }

  /** Keeps the packet as the topic's retained message; an empty payload removes it (MQTT's way to clear one). */
  store(packet: P, empty: boolean): void {
    const prefix = prefixOf(packet.topic.split("/"));
    if (empty) {
      this.#byTopic.delete(packet.topic);
      if (prefix !== undefined) {
        const set = this.#byPrefix.get(prefix);
        set?.delete(packet.topic);
        if (set?.size === 0) this.#byPrefix.delete(prefix);
      }
      return;
    }
    this.#byTopic.set(packet.topic, packet);
    if (prefix !== undefined) {
      let set = this.#byPrefix.get(prefix);
      if (set === undefined) {
        set = new Set();
        this.#byPrefix.set(prefix, set);
      }
      set.add(packet.topic);
    }
  }

  /** The retained messages matching any of the filters, each once. */
  *matching(filters: readonly string[]): Generator<P> {
    const seen = new Set<string>();
    for (const filter of filters) {
      const f = filter.split("/");
      const prefix = prefixOf(f);
      const candidates = prefix === undefined ? this.#byTopic.keys() : (this.#byPrefix.get(prefix) ?? []);
      for (const topic of candidates) {
        if (seen.has(topic) || !topicMatches(f, topic.split("/"))) continue;
        const packet = this.#byTopic.get(topic);
        if (packet === undefined) continue;
        seen.add(topic);
        yield packet;
      }
    }
  }
}
