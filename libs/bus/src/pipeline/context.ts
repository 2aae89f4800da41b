import { CURRENT_SCHEMA_VERSION } from "@sensorstream/contracts";
import { deadLetterAndAck } from "./dead-letter-and-ack.js";
import { pipelineMetrics } from "./metrics.js";
import type { ConsumerOptions } from "./options.js";
import type { RunnerContext } from "./runner.js";
import type { Outcome } from "./types.js";

/** What every stage of one consumer's pipeline shares: its metrics, its outcome counting, its dead-lettering. */
export function pipelineContext<T>(o: ConsumerOptions<T>, stopping: AbortSignal): RunnerContext {
  const metrics = pipelineMetrics(o.registry);
  const label = { consumer: o.name };
  const observe = o.observe ?? {};
  const count = (outcome: Outcome, n: number) => {
    if (n <= 0) return;
    metrics.messages.inc({ ...label, outcome }, n);
    observe.onOutcome?.(outcome, n);
  };
  return {
    metrics,
    label,
    stopping,
    retry: o.retry ?? { minMs: 200, maxMs: 5_000 },
    observe,
    versions: o.versions ?? [CURRENT_SCHEMA_VERSION],
    isPermanent: (err) => o.isPermanent?.(err) ?? false,
    count,
    async refuse(d, m, reason, error) {
      count("permanent", 1);
      m.logger.warn({ reason, error }, "dead-lettering a message its handler refused");
      const refusal = { reason, error, sensorId: m.sensorId, schemaVersion: m.schemaVersion };
      await deadLetterAndAck(o.bus, o.name, d, refusal, o.logger, stopping);
    },
  };
}
