import type { Client } from "aedes";
import { anonymous, type Identity } from "../core/access.js";

export type Session = {
  identity: Identity;
  /** The stored token hash this connection authenticated with (never the token): revocation compares against it. */
  tokenHash: string | undefined;
  /** When this gateway accepted the connection (epoch µs); set when aedes registers the client. */
  connectedAtUs: number | undefined;
  /** Its credential was revoked: it is being closed and may publish nothing more, not even its Last Will. */
  revoked: boolean;
  /** Another connection with the same client id took over: its Last Will would mark a live sensor offline. */
  superseded: boolean;
};

const principalOf = (id: Identity): string | undefined =>
  id.kind === "sensor" ? `sensor:${id.sensorId}` : id.kind === "subscriber" ? `subscriber:${id.name}` : undefined;

/**
 * Who is on each live connection of this gateway. Entries exist from a successful authentication until the socket
 * closes, so failed attempts leave nothing behind; the per-principal index is what revocation walks.
 */
export class Sessions {
  readonly #byClient = new WeakMap<Client, Session>();
  readonly #byPrincipal = new Map<string, Set<Client>>();

  get principals(): number {
    return this.#byPrincipal.size;
  }

  authenticated(client: Client, identity: Identity, tokenHash?: string): void {
    this.#byClient.set(client, { identity, tokenHash, connectedAtUs: undefined, revoked: false, superseded: false });
    const key = principalOf(identity);
    if (key === undefined) return;
    let set = this.#byPrincipal.get(key);
    if (!set) {
      set = new Set();
      this.#byPrincipal.set(key, set);
    }
    set.add(client);
    client.conn.once("close", () => {
      set.delete(client);
      if (set.size === 0 && this.#byPrincipal.get(key) === set) this.#byPrincipal.delete(key);
    });
  }

  get(client: Client | null): Session | undefined {
    return client ? this.#byClient.get(client) : undefined;
  }

  /** The identity a client authenticated as; a connection never authenticated counts as anonymous. */
  identityOf(client: Client): Identity {
    return this.#byClient.get(client)?.identity ?? anonymous(client.id);
  }

  /** Live connections of a sensor or subscriber on this gateway. */
  of(principal: "sensor" | "subscriber", id: string): Client[] {
    return [...(this.#byPrincipal.get(`${principal}:${id}`) ?? [])];
  }

  /** Every live authenticated connection, grouped by principal. */
  *principalList(): Iterable<{ principal: "sensor" | "subscriber"; id: string }> {
    for (const key of this.#byPrincipal.keys()) {
      const at = key.indexOf(":");
      yield { principal: key.slice(0, at) as "sensor" | "subscriber", id: key.slice(at + 1) };
    }
  }
}
