import type { Metrics } from '../../telemetry/metrics.ts';
import type { PipelineStage } from '../../stages/stage.ts';

/**
 * The `record` stage's metrics: safety findings, failed provider attempts, and the time to the
 * first chunk per target.
 */
export function recordMetrics(metrics: Metrics): PipelineStage {
  return {
    name: 'metrics',
    record(exchange) {
      for (const [kind, count] of Object.entries(exchange.prepared?.findings ?? {}))
        metrics.safetyFindings.inc({ kind }, count);
      for (const attempt of exchange.attempts) {
        if (attempt.outcome === 'ok' || attempt.outcome === 'cancelled') continue;
        const target = `${exchange.alias ?? ''}/${attempt.target}`;
        metrics.upstreamErrors.inc({ target, code: attempt.outcome });
      }
      const target = exchange.servedBy;
      if (target === undefined || exchange.firstChunkAt === undefined) return;
      metrics.timeToFirstToken.observe(
        { provider: target.provider, target: `${exchange.alias ?? ''}/${target.name}` },
        (exchange.firstChunkAt - exchange.startedAt) / 1000,
      );
    },
  };
}
