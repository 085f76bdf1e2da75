/**
 * The operator's Prometheus metrics, on a registry of its own (one per operator instance, so
 * that tests can run several in one process). Names are prefixed `inference_operator_`, but for
 * the gauges controllers report per key (`KeyedGauges`), which are about the resources.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Gauges a pure controller reports samples of (controllers/types.ts `GaugeSample`). */
export interface KeyedGauges {
  /** A tenant's settled spend ÷ its limit in the current period, per limit (cost, tokens). */
  readonly budgetUsedRatio: Gauge;
  /** An InferenceModel's memory limit ÷ what it needs (modelBytes × headroomFactor); 0 without a limit. */
  readonly memoryHeadroomRatio: Gauge;
  /** When the certificate of a TLS Secret the operator renders expires (Unix seconds). */
  readonly tlsSecretExpiry: Gauge;
  /** When the signing key of a keyring of `inference-keys` was published (Unix seconds). */
  readonly signingKeyCreated: Gauge;
  /** When the operator first rendered a namespace's config checksum (Unix seconds). */
  readonly configRendered: Gauge;
}

export interface OperatorMetrics {
  readonly registry: Registry;
  /** Reconciles by controller and result (`success`, `error`, `requeue`). */
  readonly reconciles: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly reconcileDuration: Histogram<'controller'>;
  readonly queueDepth: Gauge<'controller'>;
  readonly queueAdds: Counter<'controller'>;
  readonly queueRetries: Counter<'controller'>;
  /** 1 while this instance holds the Lease. */
  readonly leader: Gauge;
  /** Every API request by verb, resource and HTTP status code. */
  readonly apiRequests: Counter<'verb' | 'resource' | 'code'>;
  /** Requests that change state (create, update, patch, apply, delete). */
  readonly apiWrites: Counter<'verb' | 'resource'>;
  readonly informerEvents: Counter<'resource' | 'type'>;
  /** Full lists of a resource, by reason: `initial`, `expired` (410 Gone), `error`. */
  readonly informerRelists: Counter<'resource' | 'reason'>;
  readonly eventsEmitted: Counter<'reason'>;
  readonly keyed: KeyedGauges;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics === true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    reconciles: new Counter({
      name: 'inference_operator_reconcile_total',
      help: 'Reconciles by controller and result.',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'inference_operator_reconcile_errors_total',
      help: 'Reconciles that failed.',
      labelNames: ['controller'],
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'inference_operator_reconcile_duration_seconds',
      help: 'Duration of one reconcile, API writes included.',
      labelNames: ['controller'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'inference_operator_workqueue_depth',
      help: 'Keys waiting in the work queue.',
      labelNames: ['controller'],
      registers,
    }),
    queueAdds: new Counter({
      name: 'inference_operator_workqueue_adds_total',
      help: 'Keys added to the work queue (before de-duplication).',
      labelNames: ['controller'],
      registers,
    }),
    queueRetries: new Counter({
      name: 'inference_operator_workqueue_retries_total',
      help: 'Keys re-queued with backoff after an error.',
      labelNames: ['controller'],
      registers,
    }),
    leader: new Gauge({
      name: 'inference_operator_leader',
      help: '1 while this instance holds the leader Lease, else 0.',
      registers,
    }),
    apiRequests: new Counter({
      name: 'inference_operator_api_requests_total',
      help: 'Requests to the Kubernetes API by verb, resource and status code.',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    }),
    apiWrites: new Counter({
      name: 'inference_operator_api_writes_total',
      help: 'Requests to the Kubernetes API that change state.',
      labelNames: ['verb', 'resource'],
      registers,
    }),
    informerEvents: new Counter({
      name: 'inference_operator_informer_events_total',
      help: 'Changes the informers delivered, by resource and type (added, updated, deleted).',
      labelNames: ['resource', 'type'],
      registers,
    }),
    informerRelists: new Counter({
      name: 'inference_operator_informer_relists_total',
      help: 'Full lists by resource and reason (initial, expired, error).',
      labelNames: ['resource', 'reason'],
      registers,
    }),
    eventsEmitted: new Counter({
      name: 'inference_operator_events_total',
      help: 'Kubernetes Events emitted, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    keyed: {
      budgetUsedRatio: new Gauge({
        name: 'inference_budget_used_ratio',
        help: "A TenantBudget's settled spend in the current period divided by its limit, by namespace, tenant and limit (cost or tokens).",
        labelNames: ['namespace', 'tenant', 'limit'],
        registers,
      }),
      memoryHeadroomRatio: new Gauge({
        name: 'inference_model_memory_headroom_ratio',
        help: "An InferenceModel's memory limit divided by the memory it needs (modelBytes x headroomFactor), by namespace and model; below 1 it does not fit, 0 when no limit is set. Declared, not measured.",
        labelNames: ['namespace', 'model'],
        registers,
      }),
      tlsSecretExpiry: new Gauge({
        name: 'inference_tls_secret_expiry_timestamp_seconds',
        help: 'When the certificate of a TLS Secret the operator issued expires (inference-tls-ca: the earliest CA of the bundle), by namespace and secret.',
        labelNames: ['namespace', 'secret'],
        registers,
      }),
      signingKeyCreated: new Gauge({
        name: 'inference_signing_key_created_timestamp_seconds',
        help: 'When the active (signing) key of a keyring of the inference-keys Secret was published, by namespace, keyring (resume, audit) and kid.',
        labelNames: ['namespace', 'keyring', 'kid'],
        registers,
      }),
      configRendered: new Gauge({
        name: 'inference_config_rendered_timestamp_seconds',
        help: "When the operator first rendered the config contract checksum of a namespace's gateway (the inference-config annotation inference.enis.io/config-rendered-at), by namespace and checksum. Joined on checksum with the dataplane's inference_config_loaded_timestamp_seconds, it gives the config propagation delay (docs/slos.md).",
        labelNames: ['namespace', 'checksum'],
        registers,
      }),
    },
  };
}

/** The sum of a counter over all its label values. */
export async function counterTotal(counter: Counter): Promise<number> {
  const { values } = await counter.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}
