import { alarmService } from "@sensorstream/alarm";
import { apiService } from "@sensorstream/api";
import { commandService } from "@sensorstream/command";
import { gatewayService } from "@sensorstream/gateway";
import { logIngesterService } from "@sensorstream/log-ingester";
import { measurementIngesterService } from "@sensorstream/measurement-ingester";
import { registryService } from "@sensorstream/registry";

/**
 * The services `npm start` runs, in start order: the consumers first (their queues exist before the
 * gateway publishes), the gateway, then the API. The all-in-one config schema is merged from theirs.
 * A new service is one line here.
 */
export const PLATFORM_SERVICES = [
  measurementIngesterService,
  logIngesterService,
  registryService,
  commandService,
  alarmService,
  gatewayService,
  apiService,
] as const;
