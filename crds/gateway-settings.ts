import { Type, type Static } from '@sinclair/typebox';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentSettings } from './agent-settings.ts';
import { EgressSettings } from './egress-settings.ts';
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

const INJECTION_ACTION =
  'What a message whose injection score reaches the threshold gets: flag (findings only, content as sent), sanitize (matched stretches replaced), block (CONTENT_BLOCKED).';
const INJECTION_CLASSIFIER =
  "The in-process classifier whose share joins the rules score: off, llm_guardrail (npm llm_guardrail) or prompt_guardrail (PyPI prompt-guardrail, exported by make models), both TF-IDF + logistic regression; jailguard (the crate jailguard's MLP head over the MiniLM embedding of make models-fetch); or guard, a guard model asked through the ProviderRoute that safety.injection.guard.model names. A list of several names runs each, the highest probability counting.";
const InjectionAction = Type.Union(
  [Type.Literal('flag'), Type.Literal('sanitize'), Type.Literal('block')],
  { description: INJECTION_ACTION },
);
const InjectionThreshold = Type.Number({
  minimum: 0.1,
  maximum: 100,
  description: 'Injection score at which a message is acted on (docs/safety.md).',
});
const CLASSIFIER_NAMES = [
  Type.Literal('llm_guardrail'),
  Type.Literal('prompt_guardrail'),
  Type.Literal('jailguard'),
  Type.Literal('guard'),
];
/** `off`, one classifier, or several (each runs; the highest probability counts). */
const InjectionClassifier = Type.Union(
  [
    Type.Literal('off'),
    ...CLASSIFIER_NAMES,
    Type.Array(Type.Union(CLASSIFIER_NAMES), { minItems: 1, uniqueItems: true }),
  ],
  { description: INJECTION_CLASSIFIER },
);

/**
 * The files each injection classifier runs on: `package` files are module specifiers resolved
 * from node_modules (an npm dependency), `model-cache` files are paths under the model cache
 * ($INFERENCE_MODEL_CACHE, default .tmp/models, where `make models` exports them). The config
 * loader refuses a gateway.yaml that names a classifier whose files are missing; the classifier
 * stage reads them.
 */
export const INJECTION_CLASSIFIER_FILES = {
  llm_guardrail: {
    from: 'package',
    files: [
      'llm_guardrail/model/prompt_injection_model.json',
      'llm_guardrail/model/jailbreak_model.json',
    ],
  },
  prompt_guardrail: { from: 'model-cache', files: ['prompt-guardrail/model.json'] },
  // Its head is vendored (models/jailguard/); the embedding model is fetched into the cache.
  jailguard: {
    from: 'model-cache',
    files: [
      'all-minilm-l6-v2/onnx/model_int8.onnx',
      'all-minilm-l6-v2/tokenizer.json',
      'all-minilm-l6-v2/config.json',
    ],
  },
} as const satisfies Record<string, { from: 'package' | 'model-cache'; files: readonly string[] }>;
/** The classifiers that run on files installed here (the guard model runs behind a route). */
export type InstalledClassifierName = keyof typeof INJECTION_CLASSIFIER_FILES;
export type InjectionClassifierName = InstalledClassifierName | 'guard';
/** A policy's `classifier`: off, one name, or several whose highest probability counts. */
export type InjectionClassifierSetting = Static<typeof InjectionClassifier>;

/** The classifiers a `classifier` setting runs: none for `off`, one, or the list's. */
export function classifierNames(setting: InjectionClassifierSetting): InjectionClassifierName[] {
  if (setting === 'off') return [];
  return typeof setting === 'string' ? [setting] : [...setting];
}

/**
 * Where the files of classifier `name` are (not whether they exist: the caller checks).
 * @throws Error when a package file's package is not installed.
 */
export function injectionClassifierPaths(
  name: InstalledClassifierName,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const { from, files } = INJECTION_CLASSIFIER_FILES[name];
  const cache =
    env['INFERENCE_MODEL_CACHE'] ?? fileURLToPath(new URL('../.tmp/models', import.meta.url));
  return files.map((file) =>
    from === 'package' ? fileURLToPath(import.meta.resolve(file)) : join(cache, file),
  );
}

/**
 * `safety.injection.guard`: the guard model the classifier `guard` asks, one call per client
 * text, through a ProviderRoute's fallback chain (docs/safety.md). Its verdict is the answer's
 * first word (`injection`, `unsafe`, `attack`, `jailbreak` or `yes` is an attack, `safe`,
 * `benign` or `no` is not, and a number from 0 to 1 is the probability itself), or under
 * `answer: json` the `verdict` of a JSON answer the target is held to.
 */
export const InjectionGuard = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      description: 'The model alias whose route serves the guard model (routes.yaml).',
    }),
    timeoutMs: Type.Integer({
      minimum: 50,
      maximum: 60_000,
      default: 2000,
      description: 'How long the guard has for all of a request’s texts.',
    }),
    onError: Type.Union([Type.Literal('pass'), Type.Literal('attack')], {
      default: 'pass',
      description:
        'A text the guard did not judge (timeout, error, an answer that is no verdict): pass (the other scores decide) or attack (scored as certain).',
    }),
    answer: Type.Union([Type.Literal('word'), Type.Literal('json')], {
      default: 'word',
      description:
        'How the guard answers: word (its first word or a number, as a guard model answers) or json (held to {"verdict": "injection" | "safe"} by response_format json_schema, for a general model on a target that enforces it: OpenAI, llama.cpp; Anthropic refuses it).',
    }),
    maxChars: Type.Integer({
      minimum: 100,
      maximum: 100_000,
      default: 8000,
      description: 'The most characters of a text the guard reads (its start).',
    }),
  },
  { additionalProperties: false },
);
export type InjectionGuard = Static<typeof InjectionGuard>;

/** A tenant's or a route's departures from the injection defaults. */
const InjectionOverride = Type.Object(
  {
    action: Type.Optional(InjectionAction),
    threshold: Type.Optional(InjectionThreshold),
    classifier: Type.Optional(InjectionClassifier),
  },
  { additionalProperties: false },
);

/**
 * `safety.injection`: the prompt-injection score and what it decides (docs/safety.md). A
 * tenant's entry replaces the defaults it names; a route's entry (by model alias) applies on
 * top, the stricter action and the lower threshold winning, so a route can tighten a tenant's
 * policy and never loosen it.
 */
export const InjectionSettings = Type.Object(
  {
    action: Type.Union([Type.Literal('flag'), Type.Literal('sanitize'), Type.Literal('block')], {
      default: 'sanitize',
      description: INJECTION_ACTION,
    }),
    threshold: Type.Number({ ...InjectionThreshold, default: 1 }),
    classifier: Type.Union(InjectionClassifier.anyOf, {
      default: 'off',
      description: INJECTION_CLASSIFIER,
    }),
    classifierWeight: Type.Number({
      minimum: 0,
      maximum: 10,
      default: 1,
      description:
        'What the classifier adds to the score at certainty (nothing at or below even odds).',
    }),
    guard: Type.Optional(InjectionGuard),
    tenants: Type.Record(Type.String(), InjectionOverride, {
      default: {},
      description: 'Per-tenant overrides of action, threshold and classifier.',
    }),
    routes: Type.Record(Type.String(), InjectionOverride, {
      default: {},
      description:
        'Per-route (model alias) overrides; the stricter action and lower threshold win.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type InjectionSettings = Static<typeof InjectionSettings>;

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
