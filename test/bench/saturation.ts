/**
 * Saturation mode (`npm run bench -- --only saturation`): for each message shape, raises the offered rate step by
 * step (×factor until a step fails, then bisects between the last pass and the first failure) and reports the
 * highest rate at which the backlog stays flat and p99 (reading → committed row) stays under 500 ms; then p99 at 80%
 * of that rate, and that rate held for a longer while. The naive bridge (aedes + one INSERT per message) goes through
 * the same search in the same run, its steps alternating with the platform's (both are up at once, one loaded at a
 * time), so every figure is also a ratio to it measured under the same machine load.
 */
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { peakRssMiB, runScenario, type Target } from "./scenario.js";
import { freshNaiveBridge, freshPlatform } from "./targets.js";

export type Shape = { batch: number; platformStart: number; naiveStart: number };

export type SaturationOptions = {
  shapes: readonly Shape[];
  stepS: number;
  warmupS: number;
  sustainS: number;
  factor: number;
  /** Bisection steps after the first failure. */
  refine: number;
  sensors: number;
  p99LimitS: number;
  /** A step fails when its backlog grew by more than this share of what was offered over the second half. */
  growthLimit: number;
  naive: boolean;
  log: (line: string) => void;
};

type Step = Awaited<ReturnType<typeof runScenario>>;

/** One step at a time, first come first served: two searches sharing it take turns, step by step. */
class Turns {
  #tail: Promise<unknown> = Promise.resolve();
  run<R>(work: () => Promise<R>): Promise<R> {
    const next = this.#tail.then(work, work);
    this.#tail = next.catch(() => {});
    return next;
  }
}

const verdict = (s: Step, o: SaturationOptions): string | undefined => {
  if (s.readings_lost > 0 || s.duplicates > 0) return `lost ${s.readings_lost}, duplicates ${s.duplicates}`;
  if (!(s.e2e_latency_s.p99 < o.p99LimitS)) return `p99 ${s.e2e_latency_s.p99} s`;
  const g = s.backlog.growth_share_of_offered;
  if (g !== null && g > o.growthLimit) return `backlog grew (${Math.round(g * 100)}% of the offered load)`;
  if (s.acked_readings_per_s < 0.95 * s.offered_readings_per_s) return `only ${s.acked_readings_per_s}/s acked`;
  return undefined;
};

const brief = (s: Step, failed: string | undefined) => ({
  offered_readings_per_s: s.offered_readings_per_s,
  acked_readings_per_s: s.acked_readings_per_s,
  stored_readings_per_s: s.achieved_readings_per_s,
  mqtt_messages_per_s: s.mqtt_messages_per_s,
  p50_s: s.e2e_latency_s.p50,
  p99_s: s.e2e_latency_s.p99,
  backlog_growth: s.backlog.growth_share_of_offered,
  lost: s.readings_lost,
  duplicates: s.duplicates,
  rows: s.rows_stored,
  pass: failed === undefined,
  ...(failed === undefined ? {} : { why: failed }),
});

async function saturate(
  target: Target,
  label: string,
  batch: number,
  start: number,
  id: string,
  turns: Turns,
  o: SaturationOptions,
) {
  const steps: ReturnType<typeof brief>[] = [];
  let n = 0;
  const step = (rate: number, durationS = o.stepS) => turns.run(() => stepNow(rate, durationS));
  const stepNow = async (rate: number, durationS: number) => {
    const r = Math.round(rate / 100) * 100;
    const s = await runScenario(target, {
      batch,
      rate: r,
      runId: `${id}${n++}`,
      sensors: o.sensors,
      durationS,
      warmupS: o.warmupS,
      log: o.log,
      progress: false,
    });
    const failed = verdict(s, o);
    o.log(
      `  ${label}, ${batch}/msg, ${r} readings/s for ${durationS} s: stored ${s.achieved_readings_per_s}/s, p99 ${s.e2e_latency_s.p99} s, backlog growth ` +
        `${s.backlog.growth_share_of_offered} -> ${failed === undefined ? "pass" : `FAIL (${failed})`}`,
    );
    return { s, failed, rate: r };
  };
  // Warm-up, not counted: connections, JIT, the first batches.
  const warm = await step(start / 2, Math.max(5, o.stepS / 2));
  o.log(`  (that was the warm-up step: ${warm.failed ?? "ok"})`);
  let pass: number | undefined;
  let fail: number | undefined;
  for (let rate = start; fail === undefined; rate *= o.factor) {
    const r = await step(rate);
    steps.push(brief(r.s, r.failed));
    if (r.failed === undefined) pass = r.rate;
    else fail = r.rate;
  }
  for (let i = 0; i < o.refine && fail !== undefined; i++) {
    const lo = pass ?? 0;
    const r = await step((lo + fail) / 2);
    steps.push(brief(r.s, r.failed));
    if (r.failed === undefined) pass = r.rate;
    else fail = r.rate;
  }
  const found = pass ?? 0;
  const at80 = found > 0 ? await step(found * 0.8, o.stepS * 2) : undefined;
  // Held for long only by the platform: the bridge's found rate and p99 at 80% are what the ratio needs.
  const sustained = found > 0 && o.sustainS > 0 && label === "platform" ? await step(found, o.sustainS) : undefined;
  return {
    readings_per_message: batch,
    found_readings_per_s: found,
    found_messages_per_s: Math.round(found / batch),
    first_failing_readings_per_s: fail ?? null,
    at_80_percent: at80 ? { ...brief(at80.s, at80.failed), duration_s: o.stepS * 2 } : null,
    sustained: sustained ? { ...brief(sustained.s, sustained.failed), duration_s: o.sustainS } : null,
    steps,
  };
}

function commit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

export async function runSaturation(o: SaturationOptions) {
  const started = new Date();
  const load = [loadavg()];
  const shapes: unknown[] = [];
  const id = Date.now().toString(36).slice(-4);
  for (const [i, shape] of o.shapes.entries()) {
    const builds: Record<string, unknown> = {};
    const runs: Array<["platform" | "naive_bridge", () => Promise<Target>, number]> = [
      ["platform", () => freshPlatform(`sat${id}_${i}`), shape.platformStart],
    ];
    if (o.naive) runs.push(["naive_bridge", () => freshNaiveBridge(`sat${id}_${i}`), shape.naiveStart]);
    o.log(`saturation: ${shape.batch} reading(s)/message: ${runs.map((r) => `${r[0]} from ${r[2]}/s`).join(", ")}`);
    // Both targets up at once, their steps taking turns: a change in the machine's load hits both alike.
    const turns = new Turns();
    await Promise.all(
      runs.map(async ([label, fresh, start]) => {
        const target = await fresh();
        try {
          const r = await saturate(target, label, shape.batch, start, `s${id}${i}${label[0]}`, turns, o);
          builds[label] = { ...r, peak_rss_mib: await peakRssMiB(target.pid) };
        } catch (err) {
          o.log(`saturation (${label}) failed: ${(err as Error).message}`);
          builds[label] = { error: (err as Error).message };
          process.exitCode = 1;
        } finally {
          await target.stop();
        }
      }),
    );
    load.push(loadavg());
    const p = builds.platform as { found_readings_per_s?: number } | undefined;
    const n = builds.naive_bridge as { found_readings_per_s?: number } | undefined;
    shapes.push({
      readings_per_message: shape.batch,
      ...builds,
      ratio_to_naive_bridge:
        p?.found_readings_per_s && n?.found_readings_per_s
          ? Math.round((p.found_readings_per_s / n.found_readings_per_s) * 100) / 100
          : null,
    });
  }
  return {
    conditions: {
      started_at: started.toISOString(),
      duration_s: Math.round((Date.now() - started.getTime()) / 1000),
      commit: commit(),
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? null,
      memory_gib: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      load_average_1m_between_runs: load.map((l) => Math.round((l[0] ?? 0) * 100) / 100),
      bench_process_peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
      sensors: o.sensors,
      // The platform inherits the bench's environment: say which data path was measured (docs/bus.md).
      per_sensor_data: process.env.PER_SENSOR_DATA ?? "true (default)",
      step_s: o.stepS,
      criteria: `pass: p99 < ${o.p99LimitS} s, backlog growth <= ${o.growthLimit * 100}% of the offered load over the second half of the step, >= 95% of the offered rate acked, lost 0, duplicates 0`,
    },
    shapes,
  };
}
