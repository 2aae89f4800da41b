import { COMMAND_STATES } from "@sensorstream/commands";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import { encodeCursor, pageOf } from "../../core/cursor.js";
import { commandSchema } from "./commands-schemas.js";
import type { Stores } from "./deps.js";
import { ApiError, sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { cursorParam, limitParam, olderPage, sensorIdParams } from "./schemas.js";

const tags = ["commands"];

const commandNotFound = (id: string) =>
  new ApiError(404, "command_not_found", `there is no command "${id}"; GET /api/sensors/{id}/commands lists them`);

/** GET /commands/:command_id and GET /sensors/:id/commands: a command, and a sensor's commands newest first. */
export function registerCommandReadRoutes(app: FastifyInstance, policy: AccessPolicy, stores: Stores): void {
  const { sensors, commands } = stores;
  addRoute(app, policy, {
    method: "GET",
    url: "/commands/:command_id",
    access: "read",
    tags,
    summary: "A command and its state",
    params: z.strictObject({ command_id: z.uuid({ error: "command_id must be a UUID" }) }),
    responses: { 200: { description: "the command", schema: commandSchema }, 404: { description: "no such command" } },
    handler: async ({ params }) => {
      const cmd = await commands.get(params.command_id);
      if (!cmd) throw commandNotFound(params.command_id);
      return cmd;
    },
  });

  addRoute(app, policy, {
    method: "GET",
    url: "/sensors/:id/commands",
    access: "read",
    tags,
    summary: "Commands of a sensor, newest first",
    params: sensorIdParams,
    query: z.strictObject({
      state: z.enum(COMMAND_STATES, { error: `state must be one of ${COMMAND_STATES.join(", ")}` }).optional(),
      limit: limitParam(100, 1000),
      before: cursorParam("commands", ["issued_at", "command_id"]).optional(),
    }),
    responses: {
      200: { description: "a page of commands", schema: olderPage(commandSchema) },
      404: { description: "no such sensor" },
    },
    handler: async ({ params, query }) => {
      const before = query.before
        ? { issuedAt: query.before.issued_at, commandId: query.before.command_id }
        : undefined;
      const rows = await commands.listForSensor(params.id, { state: query.state }, { limit: query.limit + 1, before });
      if (rows.length === 0 && !(await sensors.get(params.id))) throw sensorNotFound(params.id);
      const page = pageOf(rows, query.limit, (last) => encodeCursor("commands", [last.issued_at, last.command_id]));
      return { items: page.items, next_before: page.next };
    },
  });
}
