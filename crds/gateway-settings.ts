import { Type, type Static } from '@sinclair/typebox';
import { AgentSettings } from './agent-settings.ts';
import { EgressSettings } from './egress-settings.ts';
import { InjectionSettings } from './injection-settings.ts';
import { GatewayPhoneRegions, PiiOutputSetting, PiiSetting } from './pii-settings.ts';
import { SandboxSettings } from './sandbox-settings.ts';

/** Per-tenant batch limits; a field left out takes the section's default. */
const BatchTenantLimits = Type.Object(
  {
    maxQueued: Type.Optional(Type.Integer({ minimum: 1 })),
    maxRunning: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

/** `batch:` in gateway.yaml: the batch engine (docs/batch.md). Used only when Redis is set. */
export const BatchSettings = Type.Object(
  {
    maxQueuedPerTenant: Type.Integer({
      minimum: 1,
      default: 100_000,
      description: 'Items a tenant may have accepted and unfinished; more is a 429.',
    }),
    maxRunningPerTenant: Type.Integer({
      minimum: 1,
      default: 16,
      description: 'Items of a tenant dispatched to workers at once (its fair share).',
    }),
    maxItemsPerBatch: Type.Integer({ minimum: 1, maximum: 100_000, default: 50_000 }),
    maxBodyBytes: Type.Integer({
      minimum: 1024,
      default: 32 * 1024 * 1024,
      description: 'Largest submit body; read once at start.',
    }),
    attempts: Type.Integer({
      minimum: 1,
      maximum: 20,
      default: 3,
      description: 'Executions of an item that fails with a retryable error before the DLQ.',
    }),
    backoffMs: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'First retry delay; doubles per attempt, never below a Retry-After.',
    }),
    retentionS: Type.Integer({
      minimum: 60,
      default: 7 * 24 * 3600,
      description: 'How long a finished batch, its results and its task_id are kept.',
    }),
    progressIntervalMs: Type.Integer({
      minimum: 10,
      default: 1000,
      description: 'How often the events stream reads progress.',
    }),
    workers: Type.Object(
      {
        inGateway: Type.Integer({
          minimum: 0,
          default: 4,
          description: 'Items the gateway process itself executes at once; 0 = none.',
        }),
        concurrency: Type.Integer({
          minimum: 1,
          default: 16,
          description: 'Items a `worker` process executes at once.',
        }),
        lockMs: Type.Integer({
          minimum: 500,
          default: 30_000,
          description: "A crashed worker's items run again after 1 to 2 times this.",
        }),
        shutdownGraceMs: Type.Integer({
          minimum: 0,
          default: 20_000,
          description: 'On shutdown, running items get this long to finish, then go back.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    tenants: Type.Record(Type.String(), BatchTenantLimits, {
      default: {},
      description: 'Per-tenant overrides of maxQueuedPerTenant and maxRunningPerTenant.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type BatchSettings = Static<typeof BatchSettings>;

/** `gateway.yaml` in the config contract: the gateway's own settings (from Helm values). */
export const GatewaySettings = Type.Object(
  {
    auth: Type.Object(
      {
        issuer: Type.String({ minLength: 1, description: 'Required `iss` of every JWT.' }),
        audience: Type.String({ minLength: 1, description: 'Required `aud` of every JWT.' }),
        tenantClaim: Type.String({
          default: 'tenant',
          description: 'Claim that names the tenant.',
        }),
      },
      { additionalProperties: false },
    ),
    defaultModel: Type.Optional(
      Type.String({
        description: 'Alias used when a request names neither a model nor a prompt default.',
      }),
    ),
    limits: Type.Object(
      {
        maxConcurrent: Type.Integer({ minimum: 1, default: 512 }),
        queueTimeoutMs: Type.Integer({ minimum: 0, default: 1000 }),
        requestTimeoutMs: Type.Integer({ minimum: 1, default: 120_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
    streams: Type.Object(
      {
        heartbeatMs: Type.Integer({ minimum: 10, default: 15_000 }),
        resumeTtlS: Type.Integer({ minimum: 1, default: 300 }),
      },
      { additionalProperties: false, default: {} },
    ),
    safety: Type.Object(
      {
        sanitize: Type.Boolean({
          default: true,
          description:
            'Anti-injection on client content (every role, tool results included); off: neither markers nor the injection score are looked for.',
        }),
        injection: InjectionSettings,
        pii: PiiSetting,
        phoneRegions: GatewayPhoneRegions,
        piiOutput: PiiOutputSetting,
      },
      { additionalProperties: false, default: {} },
    ),
    batch: BatchSettings,
    egress: EgressSettings,
    sandbox: SandboxSettings,
    agents: AgentSettings,
    budgets: Type.Object(
      {
        estimatedOutputTokens: Type.Integer({
          minimum: 1,
          maximum: 1_000_000,
          default: 1024,
          description:
            'Output tokens a reservation assumes for a request that sets no max_tokens (its prompt none either); settlement charges what was produced.',
        }),
        keyPrefix: Type.String({
          maxLength: 64,
          default: '',
          description:
            'Prefix of the Redis keys of budgets (spend, reservations, rate windows) and of the audit trail (chains, intents, decision configs).',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'How the budget guard reserves and where it keeps its state (docs/budgets.md).',
      },
    ),
    audit: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description:
            'Write audit receipts. Off: no receipt, no intent, no AUDIT_UNAVAILABLE refusal (benchmarks, deployments without an audit duty); read per request.',
        }),
        checkpointEvery: Type.Integer({
          minimum: 1,
          maximum: 1_000_000,
          default: 1000,
          description:
            "A signed checkpoint over a tenant's chain head every this many receipts (and at each sweep over a head that moved).",
        }),
        sweepIntervalS: Type.Integer({
          minimum: 1,
          maximum: 3600,
          default: 15,
          description:
            'How often each replica sweeps: receipts for requests whose process died, checkpoints over moved heads, retention.',
        }),
        leaseMarginS: Type.Integer({
          minimum: 1,
          maximum: 3600,
          default: 60,
          description:
            "How long past its deadline a request's intent waits for its receipt before a sweep records it as interrupted.",
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'The audit trail: checkpoints, sweeps and where receipts live (docs/audit.md).',
      },
    ),
    tls: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Serve HTTPS (TLS 1.2+) with tls/tls.crt and tls/tls.key of the contract (a Secret in the layout cert-manager writes). Read at start: the listener is HTTPS or plain HTTP for the life of the process.',
        }),
        clientCertificates: Type.Union(
          [Type.Literal('off'), Type.Literal('optional'), Type.Literal('required')],
          {
            default: 'off',
            description:
              'Client certificates (mTLS) on routes with a scope, verified against tls/ca.crt: off (none asked for), optional (one presented must verify), required (every scoped request needs one). Read per request.',
          },
        ),
        clientIdentities: Type.Record(
          Type.String({ pattern: '^[a-z]+(:[a-z]+)?$' }),
          Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 256 }),
          {
            default: {},
            description:
              "Scope → the client certificate identities (SPIFFE URI SAN, else DNS SAN, else CN; exact, or a prefix ending in `*`) allowed on the routes that require that scope, in addition to the token's scopes. Read per request.",
          },
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'TLS and client certificates (docs/security.md).',
      },
    ),
    tracing: Type.Object(
      {
        endpoint: Type.Optional(
          Type.String({
            pattern: '^https?://',
            maxLength: 2048,
            description:
              'Base URL of the OTLP/HTTP collector (spans go to <endpoint>/v1/traces). None: tracing is off, unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set, which win over it. Read at start.',
          }),
        ),
        ratio: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 1,
          description:
            "Share of traces without an error that are exported, decided by trace id when the request's local root span ends; traces with an error are always exported. Read per trace.",
        }),
        denylist: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
          maxItems: 256,
          default: [],
          description:
            'Attribute and event keys (exact, or a prefix ending in `*`) the scrubber replaces with `redacted`, beyond the built-in content prefixes. Read per span.',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'OpenTelemetry traces over OTLP/HTTP (docs/observability.md).',
      },
    ),
  },
  { additionalProperties: false },
);

export type GatewaySettings = Static<typeof GatewaySettings>;
