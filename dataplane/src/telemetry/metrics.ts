import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The dataplane's Prometheus metrics, on a registry per app so tests can build several.
 * Labels never carry content, tenants' data or secrets: route templates, codes, names.
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
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
    safetyFindings: new Counter({
      name: 'inference_safety_findings_total',
      help: 'What input safety found in client content, by kind: prompt-injection kinds removed, pii:<kind> redacted (counts only, never content).',
      labelNames: ['kind'] as const,
      registers,
    }),
    promptsLoaded: new Gauge({
      name: 'inference_prompts_loaded',
      help: 'Prompt manifests in the served config.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
