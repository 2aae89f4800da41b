import { EXCHANGE } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type pg from "pg";
import type { LogEntry, LogReader, LogSpec } from "../log.js";
import { WAKEUP_CHANNEL } from "./schema.js";
import type { Queryable } from "./sql.js";

/** The NOTIFY payload that wakes a log's readers (queues are woken by their bare name). */
export const logWakeup = (log: string): string => `log:${log}`;

/** Declares a log and its bindings, in the caller's transaction; its settings cannot change (PRECONDITION_FAILED). */
export async function declareLogRow(db: Queryable, spec: LogSpec): Promise<void> {
  await db.query(
    "INSERT INTO bus.logs (name, max_age_seconds, max_bytes) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
    [spec.name, spec.maxAgeSeconds, spec.maxBytes],
  );
  const { rows } = await db.query<{ a: number; b: number }>(
    "SELECT max_age_seconds AS a, max_bytes::float8 AS b FROM bus.logs WHERE name = $1",
    [spec.name],
  );
  if (rows[0]?.a !== spec.maxAgeSeconds || rows[0]?.b !== spec.maxBytes) {
    throw new Error(`PRECONDITION_FAILED: log ${spec.name} exists with other arguments`);
  }
  await db.query(
    `INSERT INTO bus.log_bindings (exchange, log, pattern) SELECT $1, $2, p FROM unnest($3::text[]) p
     ON CONFLICT DO NOTHING`,
    [EXCHANGE, spec.name, spec.bindings],
  );
}

export type Append = {
  log: string;
  routingKey: string;
  messageId: string | undefined;
  headers: string;
  content: Buffer;
};

/**
 * Appends entries in the caller's transaction. The log's row is locked until commit, so offsets are handed out and
 * become visible in order: a reader asking for "offset >= n" never skips one that commits later.
 */
export async function appendEntries(db: Queryable, entries: readonly Append[]): Promise<void> {
  const byLog = new Map<string, Append[]>();
  for (const e of entries) byLog.set(e.log, [...(byLog.get(e.log) ?? []), e]);
  for (const [log, list] of [...byLog].sort(([a], [b]) => a.localeCompare(b))) {
    const { rows } = await db.query<{ first: string }>(
      "UPDATE bus.logs SET next_offset = next_offset + $2 WHERE name = $1 RETURNING (next_offset - $2)::text AS first",
      [log, list.length],
    );
    const first = Number(rows[0]?.first ?? 0);
    await db.query(
      `INSERT INTO bus.log_entries (log, "offset", routing_key, message_id, headers, content)
       SELECT $1, $2::bigint + o - 1, k, m, h, c
       FROM unnest($3::text[], $4::text[], $5::jsonb[], $6::bytea[]) WITH ORDINALITY AS t(k, m, h, c, o)`,
      [
        log,
        first,
        list.map((e) => e.routingKey),
        list.map((e) => e.messageId),
        list.map((e) => e.headers),
        list.map((e) => e.content),
      ],
    );
    await db.query("SELECT pg_notify($1, $2)", [WAKEUP_CHANNEL, logWakeup(log)]);
  }
}

/** Retention by age (the sweep): entries older than the log's max age go. */
export async function trimLogs(db: Queryable): Promise<void> {
  await db.query(
    `DELETE FROM bus.log_entries e USING bus.logs l
     WHERE e.log = l.name AND e.appended_at < now() - make_interval(secs => l.max_age_seconds)`,
  );
}

type Row = {
  offset: string;
  routing_key: string;
  message_id: string | null;
  headers: Record<string, unknown>;
  content: Buffer;
};

/**
 * A reader of a log: it remembers the offset after the last entry it handed over, so after a lost connection it
 * carries on there (no gap, no repeat). Woken by NOTIFY and by the bus's poll.
 */
export class PgLogReader implements LogReader {
  #next: number | undefined;
  #closed = false;
  #reading: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly o: {
      log: string;
      from: number | "next";
      onEntry: (e: LogEntry) => void;
      pool: pg.Pool;
      logger: Logger;
      connected: () => boolean;
      onClose: (r: PgLogReader) => void;
    },
  ) {
    if (typeof o.from === "number") this.#next = o.from;
  }

  get log(): string {
    return this.o.log;
  }

  get ready(): boolean {
    return !this.#closed && this.#next !== undefined && this.o.connected();
  }

  /** Resolves "next" to the log's end now. */
  async start(): Promise<void> {
    if (this.#next === undefined) {
      const { rows } = await this.o.pool.query<{ n: string }>(
        "SELECT next_offset::text AS n FROM bus.logs WHERE name = $1",
        [this.o.log],
      );
      if (!rows[0]) throw new Error(`no log ${this.o.log} (declare it first)`);
      this.#next = Number(rows[0].n);
    }
    this.wake();
  }

  wake(): void {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#loop();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.o.onClose(this);
    await this.#reading;
  }

  async #loop(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#readOnce().catch((err: unknown) =>
          this.o.logger.warn({ err, log: this.o.log }, "embedded bus: log read failed"),
        );
      } while (this.#again);
    } finally {
      this.#reading = undefined;
    }
  }

  async #readOnce(): Promise<void> {
    const from = this.#next;
    if (this.#closed || from === undefined || !this.o.connected()) return;
    const { rows } = await this.o.pool.query<Row>(
      `SELECT "offset"::text AS offset, routing_key, message_id, headers, content FROM bus.log_entries
       WHERE log = $1 AND "offset" >= $2 ORDER BY "offset" LIMIT 500`,
      [this.o.log, from],
    );
    for (const r of rows) {
      if (this.#closed) return;
      const offset = Number(r.offset);
      this.#next = offset + 1;
      this.o.onEntry({
        offset,
        routingKey: r.routing_key,
        content: r.content,
        messageId: r.message_id ?? undefined,
        headers: r.headers,
      });
    }
    if (rows.length === 500) this.#again = true;
  }
}
