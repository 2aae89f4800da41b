import type { CommandRecord, NewCommand } from "@sensorstream/commands";
import type { Logger } from "@sensorstream/runtime";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { desiredOf } from "../../core/desired.js";
import { bulkCommandBody, commandBody, commandSchema, DEFAULT_TTL_S, MAX_BULK } from "./commands-schemas.js";
import type { Stores } from "./deps.js";
import { ApiError, sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { sensorIdParams } from "./schemas.js";

const tags = ["commands"];
const ISSUE_NOTE =
  `Answers 202 once the command is stored (state \`queued\`) and published to the gateways; \`ttl_s\` defaults to ` +
  `${DEFAULT_TTL_S}. The command service then tracks it: \`sent\` when a gateway handed it to the sensor's live ` +
  "connection, `acked` or `failed` by the sensor's ack, `expired` when no ack came before `expires_at`. A sensor " +
  "that is offline or asleep gets it when its presence comes back, until it expires. `args` is `{}` for sleep and " +
  'awake and `{"hz": <number > 0>}` for change_sample_frequency.';

/**
 * Issues commands: the rows go into the command service's table through its module (libs/commands), the desired
 * state into the registry's through libs/sensors, then each is published. A publish that fails leaves the command
 * queued: the command service sends it when the sensor's presence next says it is reachable.
 */
async function issue(s: Stores, logger: Logger, ids: string[], c: NewCommand): Promise<CommandRecord[]> {
  const issued = await s.commands.issue(ids, c);
  await s.sensors.setDesired(ids, desiredOf(c.name, c.args));
  const sent = await Promise.allSettled(issued.map((cmd) => s.sendCommand(cmd)));
  const failed = sent.filter((r) => r.status === "rejected").length;
  if (failed)
    logger.warn(
      { failed, err: (sent.find((r) => r.status === "rejected") as PromiseRejectedResult).reason },
      "commands stored but not published; they are sent when their sensors come back",
    );
  return issued;
}

/** POST /sensors/:id/commands and POST /commands: issuing one command, or one per selected sensor. */
export function registerCommandIssueRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  stores: Stores,
  logger: Logger,
): void {
  const { sensors } = stores;
  addRoute(app, policy, {
    method: "POST",
    url: "/sensors/:id/commands",
    access: "write",
    tags,
    summary: "Send a command to a sensor (sleep, awake, change_sample_frequency)",
    description: ISSUE_NOTE,
    params: sensorIdParams,
    body: commandBody,
    responses: { 202: { description: "issued", schema: commandSchema }, 404: { description: "no such sensor" } },
    handler: async ({ params, body, reply }) => {
      if (!(await sensors.get(params.id))) throw sensorNotFound(params.id);
      const [cmd] = await issue(stores, logger, [params.id], { name: body.name, args: body.args, ttlS: body.ttl_s });
      reply.code(202);
      return cmd;
    },
  });

  addRoute(app, policy, {
    method: "POST",
    url: "/commands",
    access: "write",
    tags,
    summary: "Send one command to many sensors: sensor_ids, a type, or all",
    description: `${ISSUE_NOTE} One command per selected sensor, at most ${MAX_BULK}; unknown sensor_ids are a 404 and nothing is issued.`,
    body: bulkCommandBody,
    responses: {
      202: {
        description: "issued",
        schema: z.object({ count: z.number().int(), items: z.array(commandSchema) }),
      },
      404: { description: "some sensor_ids are not registered" },
    },
    handler: async ({ body, reply }) => {
      const selection = body.sensor_ids
        ? { ids: body.sensor_ids }
        : body.type
          ? { type: body.type }
          : { all: true as const };
      const ids = await sensors.selectIds(selection, MAX_BULK + 1);
      if (ids.length > MAX_BULK) {
        throw new ApiError(
          400,
          "too_many_sensors",
          `the selection has more than ${MAX_BULK} sensors; narrow it with type or sensor_ids`,
        );
      }
      if (body.sensor_ids) {
        const found = new Set(ids);
        const missing = [...new Set(body.sensor_ids)].filter((id) => !found.has(id));
        if (missing.length) {
          throw new ApiError(
            404,
            "sensor_not_found",
            `not registered: ${missing.slice(0, 20).join(", ")}; nothing was issued`,
          );
        }
      }
      const items = await issue(stores, logger, ids, { name: body.name, args: body.args, ttlS: body.ttl_s });
      reply.code(202);
      return { count: items.length, items };
    },
  });
}
