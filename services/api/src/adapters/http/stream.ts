import { sensorIdSchema } from "@sensorstream/contracts";
import type { Logger } from "@sensorstream/runtime";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { type EventPosition, eventsOf, frame, type LiveFilter, parseEventId } from "../../core/live.js";
import type { Stores } from "./deps.js";
import { ApiError } from "./errors.js";
import { badQuery, metricsParam } from "./range-schemas.js";
import { addRoute } from "./route.js";

/** Open streams per API replica: each holds a socket and a log reader (a channel on the API's AMQP connection). */
const MAX_STREAMS = 500;
/** Unsent bytes a slow client may have pending before it is cut off (it resumes with Last-Event-ID). */
const MAX_PENDING_BYTES = 1024 * 1024;
const KEEPALIVE_MS = 15_000;

const sensorIds = z
  .string()
  .transform((text, ctx) => {
    const ids = text.split(",").map((s) => s.trim());
    const bad = ids.find((id) => !sensorIdSchema.safeParse(id).success);
    if (bad === undefined) return new Set(ids);
    ctx.addIssue({ code: "custom", message: `"${bad.slice(0, 70)}" is not a sensor id` });
    return z.NEVER;
  })
  .describe("comma-separated sensor ids (default: every sensor)");

const flag = (fallback: boolean, description: string) =>
  z.stringbool({ error: "write true or false" }).default(fallback).describe(description);

/**
 * `GET /api/stream`: Server-Sent Events from the live log (a RabbitMQ stream every replica reads alike), so an
 * event id means the same on every replica and `Last-Event-ID` resumes anywhere within the log's window.
 */
export function streamRoutes(app: FastifyInstance, policy: AccessPolicy, { readLive }: Stores, logger: Logger): void {
  const open = new Set<() => void>();
  // Streams never end by themselves: end them so the server can close (clients reconnect elsewhere and resume).
  app.addHook("preClose", async () => {
    for (const end of [...open]) end();
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/stream",
    access: "read",
    tags: ["stream"],
    summary: "Live readings (as committed), presence changes and alarm events, as Server-Sent Events",
    description:
      "`event: reading` (`{sensor_id, time, values}`), `event: presence`, `event: alarm` (with alarms=true). Every " +
      "event has an `id:`; reconnecting with `Last-Event-ID` (EventSource does it by itself) resumes after it on any " +
      "replica, without a gap, within 15 minutes. Older ids resume at the oldest event kept, announced by an " +
      "`event: gap`. Without an id the stream starts with what happens next.",
    query: z.strictObject({
      sensor_ids: sensorIds.optional(),
      metrics: metricsParam.optional(),
      alarms: flag(false, "alarm events too"),
      presence: flag(true, "presence changes"),
      last_event_id: z.string().optional().describe("for clients that cannot send the Last-Event-ID header"),
    }),
    responses: {
      200: { description: "text/event-stream" },
      503: { description: "this replica serves its maximum of streams; retry (on another replica)" },
    },
    handler: async ({ query, req, reply }) => {
      const header = req.headers["last-event-id"];
      const lastId = (Array.isArray(header) ? header[0] : header) ?? query.last_event_id;
      let resume: EventPosition | undefined;
      if (lastId !== undefined && lastId !== "") {
        resume = parseEventId(lastId);
        if (!resume) {
          throw badQuery(
            "last_event_id",
            `"${lastId.slice(0, 40)}" is not an event id of this stream; reconnect without it`,
          );
        }
      }
      if (open.size >= MAX_STREAMS) {
        throw new ApiError(503, "too_many_streams", `this server holds ${MAX_STREAMS} streams already; retry shortly`);
      }
      const filter: LiveFilter = {
        sensorIds: query.sensor_ids,
        metrics: query.metrics ? new Set(query.metrics) : undefined,
        alarms: query.alarms,
        presence: query.presence,
      };
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write("retry: 2000\n\n");
      let ended = false;
      let reader: { close(): Promise<void> } | undefined;
      const end = () => {
        if (ended) return;
        ended = true;
        open.delete(end);
        clearInterval(keepalive);
        void reader?.close();
        res.end();
      };
      open.add(end);
      const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
      // The response closes when the client goes away (the request itself has long been read).
      res.on("close", end);
      let first = true;
      try {
        reader = await readLive(resume ? resume.offset : "next", (entry) => {
          if (ended) return;
          if (first && resume && entry.offset > resume.offset + 1) {
            // What followed the client's last event is gone from the log (older than its window).
            res.write(`event: gap\ndata: ${JSON.stringify({ after: lastId, resumed_at: `${entry.offset}-0` })}\n\n`);
          }
          first = false;
          const skip = resume && entry.offset === resume.offset ? resume.index : -1;
          for (const e of eventsOf(entry, filter, skip)) res.write(frame(e));
          if (res.writableLength > MAX_PENDING_BYTES) end();
        });
        if (ended) void reader.close();
        // The reader is attached: from here on nothing new is missed (tests and careful clients wait for this).
        else res.write(": reading\n\n");
      } catch (err) {
        logger.warn({ err }, "live stream: could not read the live log");
        end();
      }
      return reply;
    },
  });
}
