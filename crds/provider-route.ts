/** ProviderRoute: a public model alias mapped to an ordered fallback chain of provider targets. */
import { Type, type Static } from '@sinclair/typebox';
import {
  cel,
  ConfigMapKeyRef,
  Conditions,
  Credentials,
  DNS_LABEL,
  HTTP_URL,
  MODEL_ALIAS,
  ObservedGeneration,
  RenderedConfigChecksum,
  StringEnum,
  Struct,
  type KindDescriptor,
  type Resource,
} from './common.ts';
import { UpstreamTls } from './upstream-tls.ts';

/** UpstreamTLSReady is set only on a route whose targets carry a `tls` block. */
export const PROVIDER_ROUTE_CONDITIONS = ['Ready', 'ResolvedRefs', 'UpstreamTLSReady'] as const;

export const PROVIDERS = [
  'openai',
  'anthropic',
  'groq',
  'local',
  'openai-compatible',
  'mock',
] as const;
export type Provider = (typeof PROVIDERS)[number];

/** Error codes (from the dataplane's closed vocabulary) a route may fall back on. */
export const FALLBACK_ERROR_CODES = [
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_AUTH',
  'CONTEXT_LENGTH_EXCEEDED',
] as const;
export type FallbackErrorCode = (typeof FALLBACK_ERROR_CODES)[number];

export const MAX_TARGETS = 16;

export const ModelFrom = Struct(
  {
    configMapKeyRef: Type.Optional(ConfigMapKeyRef),
    env: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        description:
          "Name of an environment variable of the gateway (set through the operator's Helm values) that holds the model id.",
      }),
    ),
  },
  {
    description:
      'Where to read the provider model id, so Helm values or a ConfigMap can set it. Set exactly one of configMapKeyRef and env.',
    ...cel({
      rule: 'has(self.configMapKeyRef) != has(self.env)',
      message: 'modelFrom must set exactly one of configMapKeyRef and env.',
    }),
  },
);
export type ModelFrom = Static<typeof ModelFrom>;

export const RouteTarget = Struct(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL,
      description: 'Name of the target, unique in the route; used in metrics, logs and status.',
    }),
    provider: StringEnum(PROVIDERS, {
      description:
        'Provider protocol: openai, anthropic, groq, local (an InferenceModel in this namespace), openai-compatible (any server at baseURL) or mock (deterministic test provider).',
    }),
    model: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description:
          'Provider model id (e.g. gpt-4o-mini, or the InferenceModel name for local). Set exactly one of model and modelFrom.',
      }),
    ),
    modelFrom: Type.Optional(ModelFrom),
    baseURL: Type.Optional(
      Type.String({
        pattern: HTTP_URL,
        maxLength: 2048,
        description:
          "Base URL of the provider API; defaults to the provider's public endpoint. Required for openai-compatible.",
      }),
    ),
    credentials: Type.Optional(
      Credentials('Credential sent to the provider; none for local and mock providers.'),
    ),
    timeoutMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 600000,
        default: 30000,
        description: 'Deadline of one attempt against this target, in milliseconds.',
      }),
    ),
    weight: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 1,
        description:
          'Relative share of traffic among the targets of its priority (the route balance decides how).',
      }),
    ),
    priority: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 1000,
        description:
          'Order of the chain, lower first; a target without one takes its position in the list, so a plain list is a fallback chain. Targets of equal priority share traffic and are tried before the next priority.',
      }),
    ),
    tls: Type.Optional(UpstreamTls),
  },
  {
    description: 'One provider model the alias can be served by.',
    ...cel(
      {
        rule: 'has(self.model) != has(self.modelFrom)',
        message: 'A target must set exactly one of model and modelFrom.',
      },
      {
        rule: "self.provider != 'openai-compatible' || has(self.baseURL)",
        message: 'baseURL is required when provider is openai-compatible.',
        fieldPath: '.baseURL',
        reason: 'FieldValueRequired',
      },
      {
        rule: "!has(self.tls) || !has(self.baseURL) || self.baseURL.startsWith('https://')",
        message: 'tls needs an https:// baseURL: the gateway never sends a tls target plaintext.',
        fieldPath: '.baseURL',
      },
      {
        rule: "!has(self.tls) || self.provider != 'mock'",
        message: 'The mock provider makes no connection: it takes no tls.',
        fieldPath: '.tls',
        reason: 'FieldValueForbidden',
      },
    ),
  },
);
export type RouteTarget = Static<typeof RouteTarget>;

export const ProviderRouteSpec = Struct(
  {
    alias: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: MODEL_ALIAS,
      description:
        'Public model name that clients ask for (the `model` of an OpenAI-compatible request).',
    }),
    targets: Type.Array(RouteTarget, {
      minItems: 1,
      maxItems: MAX_TARGETS,
      description:
        'The fallback chain, in order of priority (each target takes its position unless it sets one): the first healthy target serves; later ones take over.',
      ...cel({
        rule: 'self.all(t, self.exists_one(u, u.name == t.name))',
        message: 'Target names must be unique within a route.',
      }),
    }),
    fallbackOn: Type.Optional(
      Type.Array(
        StringEnum(FALLBACK_ERROR_CODES, {
          description: 'An error code of the dataplane vocabulary.',
        }),
        {
          maxItems: FALLBACK_ERROR_CODES.length,
          'x-kubernetes-list-type': 'set',
          description:
            'Error codes that move a request on to the next target; when unset, every code the error vocabulary marks as fallback does.',
        },
      ),
    ),
    retry: Type.Optional(
      Struct(
        {
          maxAttempts: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 10,
              default: 2,
              description: 'Attempts per target, the first included.',
            }),
          ),
          baseDelayMs: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 60000,
              default: 200,
              description:
                'First backoff delay in milliseconds; doubles per attempt, with jitter. A Retry-After from the provider wins.',
            }),
          ),
          maxDelayMs: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 300000,
              default: 5000,
              description: 'Upper bound of one backoff delay in milliseconds.',
            }),
          ),
        },
        {
          default: {},
          description: 'Retry policy of each target.',
          ...cel({
            rule: '!has(self.baseDelayMs) || !has(self.maxDelayMs) || self.baseDelayMs <= self.maxDelayMs',
            message: 'baseDelayMs must not exceed maxDelayMs.',
            fieldPath: '.baseDelayMs',
          }),
        },
      ),
    ),
    circuitBreaker: Type.Optional(
      Struct(
        {
          failureThreshold: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 1000,
              default: 5,
              description: 'Consecutive failures that open the circuit of a target.',
            }),
          ),
          openMs: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 3600000,
              default: 30000,
              description:
                'How long an open circuit skips the target before one probe is let through.',
            }),
          ),
        },
        { default: {}, description: 'Circuit breaker of each target.' },
      ),
    ),
    balance: Type.Optional(
      StringEnum(['Weighted', 'LeastOutstanding', 'Sticky'], {
        default: 'Weighted',
        description:
          'How targets of equal priority share traffic: Weighted, a random choice by weight; LeastOutstanding, the one with fewest requests in flight; Sticky, by the x-session-id header (a weighted rendezvous hash, so a session keeps its target and its prompt cache), Weighted without one.',
      }),
    ),
    cache: Type.Optional(
      Struct(
        {
          ttlS: Type.Integer({
            minimum: 1,
            maximum: 86400,
            description: 'How long an answer is kept, in seconds.',
          }),
          sampled: Type.Optional(
            Type.Boolean({
              default: false,
              description:
                'Whether answers sampled at a temperature other than 0 (or none named) are cached too: off, a cached sampled answer would make every caller get the same sample.',
            }),
          ),
        },
        {
          description:
            'An exact answer cache per tenant (docs/api-compat.md): a request equal to an earlier one of the same tenant (after prompt rendering and safety) gets the earlier answer, at no cost, until ttlS passes. Clients bypass it with Cache-Control: no-cache (and keep their answer out with no-store); answers say x-cache: HIT, MISS or BYPASS.',
        },
      ),
    ),
    midStreamFailure: Type.Optional(
      StringEnum(['Error', 'Continue'], {
        default: 'Error',
        description:
          'When a target fails after streaming began: Error ends the stream with an error event; Continue resumes the answer on the next target.',
      }),
    ),
  },
  { description: 'Desired state of the ProviderRoute.' },
);
export type ProviderRouteSpec = Static<typeof ProviderRouteSpec>;

export const ProviderRouteStatus = Struct(
  {
    conditions: Type.Optional(Conditions(PROVIDER_ROUTE_CONDITIONS)),
    observedGeneration: Type.Optional(ObservedGeneration),
    targets: Type.Optional(
      Type.String({
        description: 'The fallback chain in one line, e.g. `mock/echo → openai/gpt-4o-mini`.',
      }),
    ),
    renderedConfigChecksum: Type.Optional(RenderedConfigChecksum),
  },
  { description: 'Observed state of the ProviderRoute, written by the operator.' },
);
export type ProviderRouteStatus = Static<typeof ProviderRouteStatus>;

export type ProviderRoute = Resource<'ProviderRoute', ProviderRouteSpec, ProviderRouteStatus>;

export const providerRouteKind: KindDescriptor<
  typeof ProviderRouteSpec,
  typeof ProviderRouteStatus
> = {
  kind: 'ProviderRoute',
  plural: 'providerroutes',
  singular: 'providerroute',
  shortNames: ['proute', 'pr'],
  description:
    'ProviderRoute maps a public model alias to an ordered fallback chain of provider targets, with retry, circuit-breaker and fallback policy.',
  conditionTypes: PROVIDER_ROUTE_CONDITIONS,
  printerColumns: [
    { name: 'Alias', type: 'string', jsonPath: '.spec.alias', description: 'Public model name.' },
    {
      name: 'Targets',
      type: 'string',
      jsonPath: '.status.targets',
      description: 'Fallback chain.',
    },
  ],
  spec: ProviderRouteSpec,
  status: ProviderRouteStatus,
};
