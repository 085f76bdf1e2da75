/**
 * Open-loop load: requests leave at a fixed rate whatever the server does, and each latency
 * is measured from the request's scheduled send time, not from when it was actually sent, so a
 * server that stalls is charged for the requests that waited behind it (no coordinated
 * omission).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import type { RequestSpec } from './request-spec.ts';

export interface OpenLoopResult {
  rate: number;
  sent: number;
  ok: number;
  /** Non-200 answers, transport errors, and requests dropped because too many were in flight. */
  errors: number;
  /** Scheduled send to last byte, of the requests that succeeded. */
  latenciesMs: number[];
  /** How late the generator itself sent, at its worst (ms): large values void the step. */
  maxSendLagMs: number;
}

export interface OpenLoopOptions {
  connections?: number;
  /** Requests in flight beyond this are dropped and counted as errors. @default 2000 */
  maxInFlight?: number;
  /** Time to wait for stragglers after the last send. @default 5000 */
  drainMs?: number;
  /**
   * Load sent at the same rate before the measured `durationMs`, not recorded: the pool opens
   * its connections and the server reaches its pace. @default 500
   */
  warmupMs?: number;
}

export async function openLoop(
  spec: RequestSpec,
  rate: number,
  durationMs: number,
  options: OpenLoopOptions = {},
): Promise<OpenLoopResult> {
  const pool = new Pool(spec.origin, {
    connections: options.connections ?? 256,
    pipelining: 1,
    bodyTimeout: 10_000,
    headersTimeout: 10_000,
  });
  const maxInFlight = options.maxInFlight ?? 2000;
  const warmupMs = options.warmupMs ?? 500;
  const total = Math.max(1, Math.round((rate * (warmupMs + durationMs)) / 1000));
  const intervalMs = 1000 / rate;
  const result: OpenLoopResult = {
    rate,
    sent: 0,
    ok: 0,
    errors: 0,
    latenciesMs: [],
    maxSendLagMs: 0,
  };
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const fire = (scheduled: number, recorded: boolean) => {
    if (inFlight >= maxInFlight) {
      if (recorded) result.errors++;
      return;
    }
    inFlight++;
    const done = pool
      .request({ path: spec.path, method: 'POST', headers: spec.headers, body: spec.body })
      .then(async (response) => {
        await response.body.arrayBuffer();
        if (!recorded) return;
        if (response.statusCode === 200) {
          result.ok++;
          result.latenciesMs.push(performance.now() - scheduled);
        } else result.errors++;
      })
      .catch(() => {
        if (recorded) result.errors++;
      })
      .finally(() => {
        inFlight--;
        pending.delete(done);
      });
    pending.add(done);
  };

  const start = performance.now() + 5;
  const recordFrom = start + warmupMs;
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && start + next * intervalMs <= now) {
      const scheduled = start + next * intervalMs;
      const recorded = scheduled >= recordFrom;
      fire(scheduled, recorded);
      if (recorded) {
        result.maxSendLagMs = Math.max(result.maxSendLagMs, now - scheduled);
        result.sent++;
      }
      next++;
    }
    if (next < total) await sleep(Math.max(0, start + next * intervalMs - performance.now()));
  }
  const drained = Promise.all(pending);
  const timeout = sleep(options.drainMs ?? 5000).then(() => 'timeout' as const);
  // Stragglers count as errors (a warm-up request among them is a rounding error here).
  if ((await Promise.race([drained, timeout])) === 'timeout') result.errors += pending.size;
  await pool.destroy();
  return result;
}
