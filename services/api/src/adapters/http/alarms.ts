import type { FastifyInstance } from "fastify";
import type { AccessPolicy } from "../../core/access.js";
import { alarmRuleRoutes } from "./alarm-rules.js";
import { alarmAckRoutes } from "./alarms-ack.js";
import { alarmReadRoutes } from "./alarms-read.js";
import type { Stores } from "./deps.js";

/** The alarm routes: rules (alarm-rules.ts), reading alarms (alarms-read.ts), acknowledging (alarms-ack.ts). */
export function alarmRoutes(app: FastifyInstance, policy: AccessPolicy, stores: Stores): void {
  alarmRuleRoutes(app, policy, stores);
  alarmReadRoutes(app, policy, stores);
  alarmAckRoutes(app, policy, stores);
}
