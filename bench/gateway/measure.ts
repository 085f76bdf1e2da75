/**
 * One system's turn in a round: warm-up, latency at one connection, stream timing, peak
 * throughput with CPU and memory, the open-loop ladder, and memory after the load.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openLoop, type OpenLoopResult } from '../load/open-loop.ts';
import { peak, type PeakResult } from '../load/peak.ts';
import type { RequestSpec, StreamFormat } from '../load/request-spec.ts';
import { sequentialLatency, streamTiming } from '../load/sequential.ts';
import { cpuSeconds, rssBytes, sampleRss } from '../support/processes.ts';
import { percentile, summarize } from '../stats.ts';
import type { RunningSystem } from './systems.ts';

export interface MeasureOptions {
  /** Sequential requests at one connection. */
  latencyRequests: number;
  /** Sequential streams at one connection. */
  streams: number;
  peakConnections: number;
  peakSeconds: number;
  /** Open-loop steps as fractions of the round's peak. */
  ladder: readonly number[];
  /** A step lasts long enough for `stepSamples` requests, within [stepMs, maxStepMs]. */
  stepMs: number;
  maxStepMs: number;
  stepSamples: number;
  /** Wait after the warm-up burst and after the load before RSS "steady" and "after load". */
  settleMs: number;
}

export const DEFAULT_MEASURE: MeasureOptions = {
  latencyRequests: 1000,
  streams: 30,
  peakConnections: 32,
  peakSeconds: 5,
  ladder: [0.2, 0.4, 0.6, 0.8, 0.95],
  stepMs: 1000,
  maxStepMs: 3000,
  stepSamples: 300,
  settleMs: 4000,
};

export interface Percentiles {
  p50: number;
  p99: number;
  mean: number;
  n: number;
}

export interface StreamFigures {
  ttft: Percentiles;
  gap: Percentiles;
  contentEvents: number;
  errors: number;
}

export interface SurfaceFigures {
  latency: Percentiles & { errors: number };
  streams?: StreamFigures;
}

export interface LadderStep {
  rate: number;
  sent: number;
  ok: number;
  errors: number;
  p50: number;
  p99: number;
  maxSendLagMs: number;
  /** The step ran twice: the first try's generator was itself late (the machine stalled). */
  repeated: boolean;
}

/** A step whose load generator sent this late measured the machine, not the system: rerun once. */
export const MAX_SEND_LAG_MS = 10;

export interface SystemFigures {
  name: string;
  latency: Percentiles & { errors: number };
  streams: StreamFigures;
  extras: Record<string, SurfaceFigures>;
  peak: PeakResult;
  /** Under 1 % errors; retried at fewer connections when the first try was not. */
  peakRetried?: PeakResult;
  ladder: LadderStep[];
  /** CPU seconds per 1,000 answered requests during the peak test. */
  cpuPer1k: number | null;
  /**
   * fresh: after start; steady: settled after the warm-up burst; load: the largest sample
   * during the peak test and the ladder; after: settled after them; afterAgain: settled after
   * one more peak test, so that after → afterAgain tells growth that continues (a leak) from a
   * heap that grew once to the size the load asked for.
   */
  rss: { fresh: number; steady: number; load: number; after: number; afterAgain: number } | null;
}

export async function measureSystem(
  system: RunningSystem,
  options: MeasureOptions,
  log: (line: string) => void,
): Promise<SystemFigures> {
  const pid = system.process?.pid;
  const fresh = pid === undefined ? Number.NaN : rssBytes(pid);

  // Warm-up: JIT, connection pools and caches, then a 2 s burst at the peak concurrency, so
  // that "steady" is the settled memory of a process that has served load; "after load" is the
  // same reading after about 15 s more of it, so growth between the two is what the load left.
  await sequentialLatency(system.json, 300, 5000);
  await streamTiming(system.stream, system.streamFormat, 5, 3000);
  for (const extra of system.extras) {
    await sequentialLatency(extra.json, 100, 3000);
    if (extra.stream !== undefined)
      await streamTiming(extra.stream.spec, extra.stream.format, 5, 3000);
  }
  await peak(system.json, options.peakConnections, 2);
  await sleep(options.settleMs);
  const steady = pid === undefined ? Number.NaN : rssBytes(pid);

  const latency = await latencyOf(system.json, options.latencyRequests);
  const streams = await streamsOf(system.stream, system.streamFormat, options.streams);
  log(
    `  ${system.name}: 1-conn p50 ${latency.p50.toFixed(3)} ms p99 ${latency.p99.toFixed(3)} ms; ` +
      `TTFT p50 ${streams.ttft.p50.toFixed(2)} ms, gap p50 ${streams.gap.p50.toFixed(2)} ms`,
  );
  const extras: Record<string, SurfaceFigures> = {};
  for (const extra of system.extras) {
    extras[extra.name] = {
      latency: await latencyOf(extra.json, Math.round(options.latencyRequests / 2)),
      ...(extra.stream === undefined
        ? {}
        : { streams: await streamsOf(extra.stream.spec, extra.stream.format, options.streams) }),
    };
  }

  const cpuBefore = pid === undefined ? 0 : cpuSeconds(pid);
  const sampler = pid === undefined ? undefined : sampleRss(pid);
  let best = await peak(system.json, options.peakConnections, options.peakSeconds);
  const cpuAfter = pid === undefined ? 0 : cpuSeconds(pid);
  const answered = best.rps * best.durationS;
  const cpuPer1k =
    pid === undefined ? null : ((cpuAfter - cpuBefore) / Math.max(1, answered)) * 1000;
  let peakRetried: PeakResult | undefined;
  if (best.errorRate >= 0.01) {
    peakRetried = await peak(
      system.json,
      Math.max(1, options.peakConnections / 4),
      options.peakSeconds,
    );
    if (peakRetried.errorRate < 0.01) best = peakRetried;
  }
  log(
    `  ${system.name}: peak ${best.rps.toFixed(0)} req/s at ${best.connections} connections, ` +
      `${(best.errorRate * 100).toFixed(2)} % errors, CPU ${cpuPer1k?.toFixed(3) ?? '-'} s/1k`,
  );

  // The ladder goes on past a failed step (noise only ever fails a step) and stops after two
  // failed steps in a row.
  const ladder: LadderStep[] = [];
  let failedInARow = 0;
  for (const fraction of options.ladder) {
    const rate = Math.max(10, Math.round(best.rps * fraction));
    const durationMs = Math.min(
      options.maxStepMs,
      Math.max(options.stepMs, (options.stepSamples / rate) * 1000),
    );
    let step = toStep(await openLoop(system.json, rate, durationMs), false);
    if (step.maxSendLagMs > MAX_SEND_LAG_MS) {
      step = toStep(await openLoop(system.json, rate, durationMs), true);
    }
    ladder.push(step);
    failedInARow = held(step, 50) ? 0 : failedInARow + 1;
    if (failedInARow === 2) break;
  }
  const load = sampler?.stop() ?? Number.NaN;

  await sleep(options.settleMs);
  const after = pid === undefined ? Number.NaN : rssBytes(pid);
  let afterAgain = Number.NaN;
  if (pid !== undefined) {
    await peak(system.json, best.connections, options.peakSeconds);
    await sleep(options.settleMs);
    afterAgain = rssBytes(pid);
  }
  return {
    name: system.name,
    latency,
    streams,
    extras,
    peak: best,
    ...(peakRetried === undefined ? {} : { peakRetried }),
    ladder,
    cpuPer1k,
    rss: pid === undefined ? null : { fresh, steady, load, after, afterAgain },
  };
}

async function latencyOf(spec: RequestSpec, count: number) {
  const result = await sequentialLatency(spec, count, 15_000);
  return { ...summarize(result.samplesMs), errors: result.errors };
}

async function streamsOf(spec: RequestSpec, format: StreamFormat, count: number) {
  const result = await streamTiming(spec, format, count, 15_000);
  return {
    ttft: summarize(result.ttftMs),
    gap: summarize(result.gapsMs),
    contentEvents: result.contentEvents.length === 0 ? 0 : Math.round(mean(result.contentEvents)),
    errors: result.errors,
  };
}

function toStep(result: OpenLoopResult, repeated: boolean): LadderStep {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return {
    rate: result.rate,
    sent: result.sent,
    ok: result.ok,
    errors: result.errors,
    // A step where nothing succeeded has no latency to show: it failed.
    p50: sorted.length === 0 ? Number.POSITIVE_INFINITY : percentile(sorted, 50),
    p99: sorted.length === 0 ? Number.POSITIVE_INFINITY : percentile(sorted, 99),
    maxSendLagMs: result.maxSendLagMs,
    repeated,
  };
}

function held(step: LadderStep, limitMs: number): boolean {
  return step.p99 <= limitMs && step.errors / Math.max(1, step.sent) < 0.01;
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, x) => sum + x, 0) / Math.max(1, values.length);
}

/** The largest offered rate of a step that kept p99 within `limitMs` and errors under 1 %. */
export function rateAtP99(ladder: readonly LadderStep[], limitMs: number): number {
  return Math.max(0, ...ladder.filter((step) => held(step, limitMs)).map((step) => step.rate));
}
