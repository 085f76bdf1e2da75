import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TenantStats } from './store.ts';

/**
 * Batch metrics per tenant. Counters and the latency histogram count what this process
 * finished (sum them over processes); the gauges are the cluster-wide state read from Redis at
 * scrape time, the same on every process (aggregate them with `max`, not `sum`).
 */
export function createBatchMetrics(
  registry: Registry,
  stats: () => Promise<Map<string, TenantStats>>,
) {
  const registers = [registry];
  const gauge = (name: string, help: string, value: (stats: TenantStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['tenant'] as const,
      registers,
      async collect() {
        // A scrape while Redis is away keeps the last values rather than failing /metrics.
        const all = await stats().catch(() => undefined);
        if (all === undefined) return;
        this.reset();
        for (const [tenant, values] of all) this.set({ tenant }, value(values));
      },
    });
  return {
    queued: gauge(
      'inference_batch_queued_items',
      'Batch items accepted and not yet dispatched to a worker, per tenant (cluster-wide).',
      (stats) => Math.max(0, stats.queued - stats.running),
    ),
    running: gauge(
      'inference_batch_running_items',
      'Batch items dispatched and not finished (running, waiting for a worker or backing off), per tenant (cluster-wide).',
      (stats) => stats.running,
    ),
    deadLetters: gauge(
      'inference_batch_dead_letter_items',
      'Batch items in the dead-letter queue, per tenant (cluster-wide).',
      (stats) => stats.dlq,
    ),
    finished: new Counter({
      name: 'inference_batch_items_total',
      help: 'Batch items this process finished, per tenant and result (done, failed, cancelled).',
      labelNames: ['tenant', 'result'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'inference_batch_retries_total',
      help: 'Batch item executions that failed with a retryable error and were retried.',
      labelNames: ['tenant', 'code'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'inference_batch_item_duration_seconds',
      help: 'Time from dispatch to the recorded result of a batch item, per tenant.',
      labelNames: ['tenant'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600],
      registers,
    }),
  };
}

export type BatchMetrics = ReturnType<typeof createBatchMetrics>;
