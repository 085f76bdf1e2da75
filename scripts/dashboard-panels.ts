/**
 * The panel tables of the chart's Grafana dashboards: one PromQL query each, and what it answers.
 * scripts/dashboards.ts builds the JSON from them; docs/observability.md lists them.
 */

export interface Panel {
  title: string;
  expr: string;
  legend: string;
  unit: string;
  /** What the panel answers (the panel's description in Grafana). */
  answers: string;
}

const http =
  'route=~"/api/v1/inference|/api/v1/inference:+stream|/v1/chat/completions|/v1/embeddings"';

export const DASHBOARDS: Record<string, { title: string; panels: Panel[] }> = {
  'gateway-overview': {
    title: 'Inference gateway: overview',
    panels: [
      {
        title: 'Requests per second by route and status',
        expr: `sum by (route, status) (rate(inference_http_requests_total{${http}}[5m]))`,
        legend: '{{route}} {{status}}',
        unit: 'reqps',
        answers: 'How much traffic each surface serves, and with which status codes.',
      },
      {
        title: 'Share of 5xx answers',
        expr: 'sum(rate(inference_http_requests_total{status=~"5.."}[5m])) / sum(rate(inference_http_requests_total[5m]))',
        legend: '5xx',
        unit: 'percentunit',
        answers: 'Whether the gateway fails its callers (the InferenceHighErrorRate signal).',
      },
      {
        title: 'p95 latency of whole answers by route',
        expr: `histogram_quantile(0.95, sum by (route, le) (rate(inference_http_request_duration_seconds_bucket{${http}}[5m])))`,
        legend: '{{route}}',
        unit: 's',
        answers: 'How long callers wait for the end of an answer (a stream: its end).',
      },
      {
        title: 'Config reloads by result',
        expr: 'sum by (result) (increase(inference_config_reloads_total[1h]))',
        legend: '{{result}}',
        unit: 'short',
        answers: 'Whether config changes are swapped in or refused (the old one keeps serving).',
      },
      {
        title: 'Served config checksum',
        expr: 'count by (checksum) (inference_config_info)',
        legend: '{{checksum}}',
        unit: 'short',
        answers: 'Which config contract the replicas serve, and whether they agree.',
      },
      {
        title: 'Audit receipts by outcome',
        expr: 'sum by (outcome) (rate(inference_audit_receipts_total[5m]))',
        legend: '{{outcome}}',
        unit: 'ops',
        answers: 'How many receipts the audit trail seals, by how the request ended.',
      },
      {
        title: 'Audit write errors and late seals',
        expr: 'sum(rate(inference_audit_write_errors_total[5m])) + sum(rate(inference_audit_late_seals_total[5m]))',
        legend: 'errors + late',
        unit: 'ops',
        answers: 'Whether the audit store keeps up (0 when healthy).',
      },
      {
        title: 'Safety findings by kind',
        expr: 'sum by (kind) (increase(inference_safety_findings_total[1h]))',
        legend: '{{kind}}',
        unit: 'short',
        answers: 'What input safety removes or redacts (counts only).',
      },
    ],
  },
  providers: {
    title: 'Inference gateway: providers',
    panels: [
      {
        title: 'GenAI operations per second by provider, model and error type',
        expr: 'sum by (gen_ai_provider_name, gen_ai_request_model, error_type) (rate(gen_ai_client_operation_duration_seconds_count[5m]))',
        legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}} {{error_type}}',
        unit: 'ops',
        answers: 'Which providers and models serve the traffic, and how often they fail.',
      },
      {
        title: 'p95 GenAI operation duration by provider and model',
        expr: 'histogram_quantile(0.95, sum by (gen_ai_provider_name, gen_ai_request_model, le) (rate(gen_ai_client_operation_duration_seconds_bucket[5m])))',
        legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}}',
        unit: 's',
        answers: 'How long a call of the route chain takes, per provider and model.',
      },
      {
        title: 'p95 time to first chunk (streams) by provider and model',
        expr: 'histogram_quantile(0.95, sum by (gen_ai_provider_name, gen_ai_request_model, le) (rate(gen_ai_client_operation_time_to_first_chunk_seconds_bucket[5m])))',
        legend: '{{gen_ai_provider_name}} {{gen_ai_request_model}}',
        unit: 's',
        answers: 'How long a streaming caller waits for its first token, per provider and model.',
      },
      {
        title: 'p95 time to first token by target',
        expr: 'histogram_quantile(0.95, sum by (provider, target, le) (rate(inference_time_to_first_token_seconds_bucket[5m])))',
        legend: '{{target}}',
        unit: 's',
        answers: 'The same wait for every answer (streamed or not), per route target.',
      },
      {
        title: 'Upstream errors by target and code',
        expr: 'sum by (target, code) (rate(inference_upstream_errors_total[5m]))',
        legend: '{{target}} {{code}}',
        unit: 'ops',
        answers: 'Which targets fail and how (the fallback chain then tries the next one).',
      },
      {
        title: 'Circuit state by target',
        expr: 'max by (target) (inference_circuit_state)',
        legend: '{{target}}',
        unit: 'short',
        answers: 'Which circuit breakers are closed (0), half-open (1) or open (2).',
      },
    ],
  },
  'tenants-spend': {
    title: 'Inference gateway: tenants and spend',
    panels: [
      {
        title: 'Spend per hour by tenant (USD)',
        expr: 'sum by (tenant) (increase(inference_budget_spend_usd_total[1h]))',
        legend: '{{tenant}}',
        unit: 'currencyUSD',
        answers: 'What each tenant is charged, at the pricing file in force.',
      },
      {
        title: 'Tokens per second by tenant',
        expr: 'sum by (tenant) (rate(inference_budget_tokens_total[5m]))',
        legend: '{{tenant}}',
        unit: 'short',
        answers: 'How many tokens each tenant is charged for.',
      },
      {
        title: 'Tokens per second by type',
        expr: 'sum by (gen_ai_token_type) (rate(gen_ai_client_token_usage_sum[5m]))',
        legend: '{{gen_ai_token_type}}',
        unit: 'short',
        answers: 'The split between input and output tokens across all providers.',
      },
      {
        title: 'Budget used this period by tenant and limit',
        expr: 'max by (namespace, tenant, limit) (inference_budget_used_ratio)',
        legend: '{{namespace}}/{{tenant}} {{limit}}',
        unit: 'percentunit',
        answers: 'How close each TenantBudget is to its limit (the threshold alerts).',
      },
      {
        title: 'Budget settlements refused',
        expr: 'sum(rate(inference_budget_settle_errors_total[5m]))',
        legend: 'failed settlements',
        unit: 'ops',
        answers:
          'Whether spend reaches the budget store (0 when healthy; otherwise it is retried and under-reported).',
      },
    ],
  },
  streams: {
    title: 'Inference gateway: streams',
    panels: [
      {
        title: 'Active streams',
        expr: 'sum(inference_active_streams)',
        legend: 'streams',
        unit: 'short',
        answers: 'How many SSE streams have a connected client now.',
      },
      {
        title: 'Streams started per second',
        expr: 'sum(rate(inference_http_requests_total{route=~"/api/v1/inference:+stream"}[5m]))',
        legend: 'streams',
        unit: 'reqps',
        answers: 'How often callers open a native stream.',
      },
      {
        title: 'p95 stream duration',
        expr: 'histogram_quantile(0.95, sum by (le) (rate(inference_http_request_duration_seconds_bucket{route=~"/api/v1/inference:+stream"}[5m])))',
        legend: 'p95',
        unit: 's',
        answers: 'How long a stream lasts from request to its end.',
      },
      {
        title: 'Output tokens per streamed operation (p95)',
        expr: 'histogram_quantile(0.95, sum by (le) (rate(gen_ai_client_token_usage_bucket{gen_ai_token_type="output"}[5m])))',
        legend: 'p95',
        unit: 'short',
        answers: 'How long answers are, in tokens.',
      },
    ],
  },
  operator: {
    title: 'Inference operator',
    panels: [
      {
        title: 'Leader',
        expr: 'sum(inference_operator_leader)',
        legend: 'leaders',
        unit: 'short',
        answers: 'Whether one replica holds the Lease (1), none (0) or, briefly, two.',
      },
      {
        title: 'Reconciles per second by controller and result',
        expr: 'sum by (controller, result) (rate(inference_operator_reconcile_total[5m]))',
        legend: '{{controller}} {{result}}',
        unit: 'ops',
        answers: 'How busy each controller is and how its passes end.',
      },
      {
        title: 'p95 reconcile duration by controller',
        expr: 'histogram_quantile(0.95, sum by (controller, le) (rate(inference_operator_reconcile_duration_seconds_bucket[5m])))',
        legend: '{{controller}}',
        unit: 's',
        answers: 'How long a pass takes, API writes included.',
      },
      {
        title: 'Work queue depth by controller',
        expr: 'max by (controller) (inference_operator_workqueue_depth)',
        legend: '{{controller}}',
        unit: 'short',
        answers: 'Whether keys wait (a backlog) or are handled as they come.',
      },
      {
        title: 'API writes per second by verb and resource',
        expr: 'sum by (verb, resource) (rate(inference_operator_api_writes_total[5m]))',
        legend: '{{verb}} {{resource}}',
        unit: 'ops',
        answers: 'What the operator changes in the cluster (0 when nothing drifts).',
      },
      {
        title: 'Memory headroom by model',
        expr: 'min by (namespace, model) (inference_model_memory_headroom_ratio)',
        legend: '{{namespace}}/{{model}}',
        unit: 'percentunit',
        answers: 'Whether each InferenceModel’s memory limit holds what it needs (below 1: no).',
      },
      {
        title: 'Signing key age by keyring',
        expr: 'time() - max by (namespace, keyring) (inference_signing_key_created_timestamp_seconds)',
        legend: '{{namespace}} {{keyring}}',
        unit: 's',
        answers: 'How long the resume and audit keys have signed (rotation keeps this bounded).',
      },
    ],
  },
};
