import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AccessPolicy } from "../../core/access.js";
import type { Stores } from "./deps.js";
import { sensorNotFound } from "./errors.js";
import { addRoute } from "./route.js";
import { sensorIdParams } from "./schemas.js";
import { tags } from "./sensors-schemas.js";

const deletedSchema = z.object({
  id: z.string(),
  with_data: z.boolean(),
  deleted: z.object({ sensor: z.literal(true) }),
  data: z
    .enum(["kept", "purging"])
    .describe("kept: its data stays; purging: the services that own its data are deleting it (asynchronous)"),
});

/** Delete a sensor, optionally purging its data. */
export function registerSensorDeletionRoutes(
  app: FastifyInstance,
  policy: AccessPolicy,
  { sensors, announce, revocations }: Stores,
): void {
  addRoute(app, policy, {
    method: "DELETE",
    url: "/sensors/:id",
    access: "write",
    tags,
    summary: "Delete a sensor (and, with with_data=true, its measurements, positions and logs)",
    description:
      "The sensor's credentials, registry record and presence history go at once. Without `with_data` its stored " +
      "data stays (still readable by sensor id): 200. With `with_data=true` the purge is asynchronous: 202, and the " +
      "services that own its measurements, positions and logs delete them in the background (seconds while they " +
      "run; a stopped one catches up when it starts). Readings still in flight when it was deleted may land after " +
      "the purge. 503 `bus_unavailable` means nothing was deleted; retry.",
    params: sensorIdParams,
    query: z.strictObject({
      with_data: z
        .stringbool({ error: "with_data must be true or false" })
        .default(false)
        .meta({ enum: ["true", "false"], description: "also delete its measurements, positions and logs" }),
    }),
    responses: {
      200: { description: "deleted; its data is kept", schema: deletedSchema },
      202: { description: "deleted; the purge of its data is asynchronous", schema: deletedSchema },
      404: { description: "no such sensor" },
      503: { description: "the database or the message bus is unreachable; nothing was deleted" },
    },
    handler: async ({ params, query, reply }) => {
      if (!(await sensors.delete(params.id, query.with_data, announce))) throw sensorNotFound(params.id);
      await revocations.revoked("sensor", params.id, "deleted");
      if (query.with_data) reply.code(202);
      return {
        id: params.id,
        with_data: query.with_data,
        deleted: { sensor: true as const },
        data: query.with_data ? ("purging" as const) : ("kept" as const),
      };
    },
  });
}
