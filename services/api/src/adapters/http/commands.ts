import type { Logger } from "@sensorstream/runtime";
import type { FastifyInstance } from "fastify";
import type { AccessPolicy } from "../../core/access.js";
import { registerCommandIssueRoutes } from "./commands-issue.js";
import { registerCommandReadRoutes } from "./commands-read.js";
import type { Stores } from "./deps.js";

/** The commands routes: issuing (commands-issue.ts) and reading (commands-read.ts). */
export function commandRoutes(app: FastifyInstance, policy: AccessPolicy, stores: Stores, logger: Logger): void {
  registerCommandIssueRoutes(app, policy, stores, logger);
  registerCommandReadRoutes(app, policy, stores);
}
