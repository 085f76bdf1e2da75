import type { Metrics } from '../../telemetry/metrics.ts';
import type { PipelineStage } from '../../stages/stage.ts';
import type { Exchange, Outcome } from '../../stages/context.ts';

/** nano-USD per USD: the budget guard charges in nano-USD (stages/context.ts `Charge`). */
const NANO = 1e9;

/**
 * The `record` stage's metrics: safety findings, the prompt version served, failed provider attempts, the time to the first
 * chunk per target, the GenAI client metrics (the gateway is its providers' client) and what the
 * budget guard charged.
 */
export function recordMetrics(metrics: Metrics): PipelineStage {
  return {
    name: 'metrics',
    record(exchange, outcome) {
      for (const [kind, count] of Object.entries(exchange.findings ?? {}))
        metrics.safetyFindings.inc({ kind }, count);
      if (exchange.sandbox === true)
        metrics.sandboxRequests.inc({
          tenant: exchange.context.tenant,
          surface: exchange.context.surface,
        });
      const prompt = exchange.prepared?.prompt;
      if (prompt !== undefined)
        metrics.promptVersions.inc({ prompt: prompt.id, version: prompt.version });
      for (const attempt of exchange.attempts) {
        if (attempt.outcome === 'ok' || attempt.outcome === 'cancelled') continue;
        const target = `${exchange.alias ?? ''}/${attempt.target}`;
        metrics.upstreamErrors.inc({ target, code: attempt.outcome });
      }
      if (exchange.cache !== undefined)
        metrics.answerCache.inc({ route: exchange.alias ?? '', result: exchange.cache });
      if (exchange.charge !== undefined) {
        const { tenant } = exchange.context;
        metrics.budgetSpend.inc({ tenant }, exchange.charge.cost / NANO);
        metrics.budgetTokens.inc({ tenant }, exchange.charge.tokens);
      }
      recordGenAi(metrics, exchange, outcome);
      const target = exchange.servedBy;
      if (target === undefined || exchange.firstChunkAt === undefined) return;
      metrics.timeToFirstToken.observe(
        { provider: target.provider, target: `${exchange.alias ?? ''}/${target.name}` },
        (exchange.firstChunkAt - exchange.startedAt) / 1000,
      );
    },
  };
}

/**
 * The operation is the whole call of the route's chain, from the pipeline's start to `record`;
 * its provider and model are the served target's, or the last attempted one's when none served.
 * A request refused before any attempt (budget, prompt) made no GenAI call: nothing is recorded.
 */
function recordGenAi(metrics: Metrics, exchange: Exchange, outcome: Outcome): void {
  const last = exchange.attempts.at(-1);
  const served = exchange.servedBy;
  const called = served ?? last;
  if (called === undefined) return;
  const labels = {
    gen_ai_operation_name: exchange.context.surface === 'embeddings' ? 'embeddings' : 'chat',
    gen_ai_provider_name: called.provider,
    gen_ai_request_model: called.model,
  };
  const errorType =
    outcome.kind === 'failed'
      ? outcome.error.code
      : outcome.kind === 'cancelled'
        ? 'cancelled'
        : '';
  metrics.genAiOperationDuration.observe(
    { ...labels, error_type: errorType },
    (performance.now() - exchange.startedAt) / 1000,
  );
  if (outcome.kind === 'done') {
    metrics.genAiTokenUsage.observe(
      { ...labels, gen_ai_token_type: 'input' },
      outcome.usage.inputTokens,
    );
    metrics.genAiTokenUsage.observe(
      { ...labels, gen_ai_token_type: 'output' },
      outcome.usage.outputTokens,
    );
  }
  if (exchange.streamed === true && served !== undefined && exchange.firstChunkAt !== undefined) {
    metrics.genAiTimeToFirstChunk.observe(
      labels,
      (exchange.firstChunkAt - exchange.startedAt) / 1000,
    );
  }
}
