import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The GenAI semantic conventions' advised buckets (semconv gen-ai-metrics, v1.41). */
const TOKEN_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
const GEN_AI_SECONDS_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/** The OpenTelemetry attributes of the GenAI client metrics, with dots as underscores. */
const GEN_AI_LABELS = [
  'gen_ai_operation_name',
  'gen_ai_provider_name',
  'gen_ai_request_model',
] as const;

/**
 * The dataplane's Prometheus metrics, on a registry per app so tests can build several.
 * Labels never carry content, tenants' data or secrets: route templates, codes, names.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics = {
    registry,
    requests: new Counter({
      name: 'inference_http_requests_total',
      help: 'HTTP requests by route template, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    latency: new Histogram({
      name: 'inference_http_request_duration_seconds',
      help: 'Time to the full response (to the end of a stream), by route template.',
      labelNames: ['route'] as const,
      buckets: [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
      ],
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: 'inference_time_to_first_token_seconds',
      help: 'Time from the request to the first chunk, by provider and target.',
      labelNames: ['provider', 'target'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    genAiTokenUsage: new Histogram({
      name: 'gen_ai_client_token_usage',
      help: 'gen_ai.client.token.usage: tokens of each provider call that served an answer, by token type (input, output).',
      labelNames: [...GEN_AI_LABELS, 'gen_ai_token_type'] as const,
      buckets: TOKEN_BUCKETS,
      registers,
    }),
    genAiOperationDuration: new Histogram({
      name: 'gen_ai_client_operation_duration_seconds',
      help: 'gen_ai.client.operation.duration: each provider attempt, from its start to its end; error_type is empty on success.',
      labelNames: [...GEN_AI_LABELS, 'error_type'] as const,
      buckets: GEN_AI_SECONDS_BUCKETS,
      registers,
    }),
    genAiTimeToFirstChunk: new Histogram({
      name: 'gen_ai_client_operation_time_to_first_chunk_seconds',
      help: 'gen_ai.client.operation.time_to_first_chunk: streamed answers only, from the request to the first chunk.',
      labelNames: GEN_AI_LABELS,
      buckets: GEN_AI_SECONDS_BUCKETS,
      registers,
    }),
    budgetSpend: new Counter({
      name: 'inference_budget_spend_usd_total',
      help: 'What the budget guard charged at settle, in USD, by tenant (models without a price charge 0).',
      labelNames: ['tenant'] as const,
      registers,
    }),
    budgetTokens: new Counter({
      name: 'inference_budget_tokens_total',
      help: 'Tokens the budget guard charged at settle, by tenant.',
      labelNames: ['tenant'] as const,
      registers,
    }),
    budgetSettleErrors: new Counter({
      name: 'inference_budget_settle_errors_total',
      help: 'Settlements the budget store refused or could not be reached for: each try (retried every second for up to ten minutes); the spend is not recorded meanwhile.',
      registers,
    }),
    answerCache: new Counter({
      name: 'inference_answer_cache_total',
      help: "The answer cache's decisions on the routes that have one, by route and result (HIT, MISS, BYPASS).",
      labelNames: ['route', 'result'] as const,
      registers,
    }),
    answerCacheErrors: new Counter({
      name: 'inference_answer_cache_errors_total',
      help: 'Answer cache store operations that failed, by operation (get: answered as a miss; set: the answer was not kept). The requests themselves are answered.',
      labelNames: ['op'] as const,
      registers,
    }),
    promptVersions: new Counter({
      name: 'inference_prompt_requests_total',
      help: 'Requests that named a prompt, by prompt id and the version served (an A/B experiment splits one id between versions).',
      labelNames: ['prompt', 'version'] as const,
      registers,
    }),
    upstreamErrors: new Counter({
      name: 'inference_upstream_errors_total',
      help: 'Failed provider attempts by target and error code.',
      labelNames: ['target', 'code'] as const,
      registers,
    }),
    auditReceipts: new Counter({
      name: 'inference_audit_receipts_total',
      help: 'Audit receipts sealed by the pipeline, by outcome (served, refused, failed, cancelled).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    auditWriteErrors: new Counter({
      name: 'inference_audit_write_errors_total',
      help: 'Appends the audit store refused or could not be reached for (each is retried).',
      registers,
    }),
    auditLateSeals: new Counter({
      name: 'inference_audit_late_seals_total',
      help: 'Answers that went on before their receipt was durable (the store was slow or down; the receipt is still retried).',
      registers,
    }),
    activeStreams: new Gauge({
      name: 'inference_active_streams',
      help: 'SSE streams with a connected client.',
      registers,
    }),
    streamOutcomes: new Counter({
      name: 'inference_streams_total',
      help: 'Resumable streams that ended, by outcome: completed (the answer ended with done) or failed, with the error code of the terminal error event (empty when completed). A client that leaves does not end a stream: it runs on for the resume window.',
      labelNames: ['outcome', 'code'] as const,
      registers,
    }),
    streamResumes: new Counter({
      name: 'inference_stream_resumes_total',
      help: "POST /api/v1/inference:resume by result: served (the stream went on after the offset), expired (a valid token whose stream the store no longer holds, or another tenant's), invalid (the token failed its signature or its own expiry).",
      labelNames: ['result'] as const,
      registers,
    }),
    circuitOpen: new Gauge({
      name: 'inference_circuit_state',
      help: 'Circuit state per route target: 0 closed, 1 half-open, 2 open.',
      labelNames: ['target'] as const,
      registers,
    }),
    configReloads: new Counter({
      name: 'inference_config_reloads_total',
      help: 'Config contract reloads by result (swapped or refused).',
      labelNames: ['result'] as const,
      registers,
    }),
    configInfo: new Gauge({
      name: 'inference_config_info',
      help: 'The config checksum being served (value 1).',
      labelNames: ['checksum'] as const,
      registers,
    }),
    configLoaded: new Gauge({
      name: 'inference_config_loaded_timestamp_seconds',
      help: "When this replica swapped to the config checksum it serves by a hot reload (Unix seconds); absent until its first swap (the config it started with was not propagated to it). Joined on checksum with the operator's inference_config_rendered_timestamp_seconds, it gives the config propagation delay (docs/slos.md).",
      labelNames: ['checksum'] as const,
      registers,
    }),
    safetyFindings: new Counter({
      name: 'inference_safety_findings_total',
      help: 'What input safety found in client content (messages, tool-call arguments, tool results, prompt variables, embeddings input, batch items), by kind: prompt-injection kinds (removed under sanitize, passed on under flag, refused under block), pii:<kind> redacted or refused under block (counts only, never content). A refused request is counted with all it found; output:pii:<kind> is what the output filter redacted in answers.',
      labelNames: ['kind'] as const,
      registers,
    }),
    injectionGuardVerdicts: new Counter({
      name: 'inference_injection_guard_verdicts_total',
      help: 'Texts the guard model (safety.injection.guard) was asked about, by verdict: attack, safe, or error (the call failed, timed out, answered no verdict, or the request had more texts than the guard is asked about); an error counts as safety.injection.guard.onError says.',
      labelNames: ['verdict'] as const,
      registers,
    }),
    injectionGuardSeconds: new Histogram({
      name: 'inference_injection_guard_duration_seconds',
      help: 'How long one guard-model call took, from the request to its verdict or its failure.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    }),
    sandboxRequests: new Counter({
      name: 'inference_sandbox_requests_total',
      help: "Requests of sandbox tenants, served by the mock provider from the tenant's own snapshot (docs/sandbox.md).",
      labelNames: ['tenant', 'surface'] as const,
      registers,
    }),
    promptsLoaded: new Gauge({
      name: 'inference_prompts_loaded',
      help: 'Prompt manifests in the served config.',
      registers,
    }),
  };
  // Zero from the start, so that increase() sees the first refusal.
  for (const result of ['swapped', 'refused']) metrics.configReloads.inc({ result }, 0);
  for (const op of ['get', 'set']) metrics.answerCacheErrors.inc({ op }, 0);
  metrics.streamOutcomes.inc({ outcome: 'completed', code: '' }, 0);
  for (const result of ['served', 'expired', 'invalid']) metrics.streamResumes.inc({ result }, 0);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
