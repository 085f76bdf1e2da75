/**
 * `agents:` in gateway.yaml: the agent platform's (NOPS) profiles, one per agent type
 * (docs/agents.md). A request is an agent's when its verified token carries the `claim`, or its
 * verified client certificate matches one of `identities`; never from a header the caller sets.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './common.ts';
import { PII_KINDS, PiiPolicy } from './pii-settings.ts';
import { PROVIDERS } from './provider-route.ts';

/**
 * The request fields a profile may let through to the provider, as the native and
 * OpenAI-compatible bodies name them. `messages` (role and content) and `prompt` always pass:
 * without them there is no request. Everything else a profile does not list is dropped before
 * the provider and counted by name (never by value).
 */
export const AGENT_FIELDS = [
  'temperature',
  'top_p',
  'max_tokens',
  'stop',
  'seed',
  'response_format',
  'logprobs',
  'user',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'messages.name',
  'messages.images',
] as const;
export type AgentField = (typeof AGENT_FIELDS)[number];

/** An agent type: a lower-case name that is safe in a metric label and a header. */
export const AGENT_TYPE_PATTERN = '^[a-z][a-z0-9-]{0,31}$';

/** A hostname, `*.` and a domain (any name below it), or an IP literal (as egress.allowHosts). */
const HOST_PATTERN = '^(\\*\\.)?[A-Za-z0-9_.:-]{1,253}$';

const AgentPii = Type.Object(
  {
    default: Type.Optional(PiiPolicy),
    kinds: Type.Optional(
      Type.Partial(
        Type.Record(Type.Union(PII_KINDS.map((kind) => Type.Literal(kind))), PiiPolicy),
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      "The profile's input PII policy, applied after the tenant's to what it let through: it can redact or block kinds the tenant leaves off, never loosen the tenant's.",
  },
);

export const AgentProfile = Type.Object(
  {
    models: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
      minItems: 1,
      maxItems: 256,
      description:
        'Model aliases the agent may ask for (the alias the request names); any other is AGENT_FORBIDDEN.',
    }),
    // No `default` inside a record's values: TypeBox does not fill them in, so absent is read as it.
    mcpTools: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 1024,
        description:
          'MCP tools the agent may call, as the gateway names them (`<server>__<tool>`, exact, or a prefix ending in `*`); absent: none.',
      }),
    ),
    fields: Type.Optional(
      Type.Array(StringEnum(AGENT_FIELDS), {
        maxItems: AGENT_FIELDS.length,
        description:
          'Request fields that reach the provider besides messages (role, content) and the prompt; every other field is dropped and counted by name. Absent: none.',
      }),
    ),
    pii: Type.Optional(AgentPii),
    maxContextTokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000_000,
        description:
          'Largest input (estimated tokens of every message sent, the prompt included); more is AGENT_LIMIT_EXCEEDED.',
      }),
    ),
    maxOutputTokens: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description:
          'Largest max_tokens the agent may ask for (more is AGENT_LIMIT_EXCEEDED); a request without one is sent this.',
      }),
    ),
    egress: Type.Optional(
      Type.Object(
        {
          providers: Type.Optional(
            Type.Array(StringEnum(PROVIDERS), {
              maxItems: PROVIDERS.length,
              description: 'Providers whose targets may serve the agent; absent: any.',
            }),
          ),
          hosts: Type.Optional(
            Type.Array(Type.String({ pattern: HOST_PATTERN }), {
              maxItems: 256,
              description:
                'Hosts its targets may call (`*.example.com` for any name below it); absent: any the gateway may reach. In-process targets (mock, local without baseURL) call none. Air-gapped: in-cluster hosts only, whatever this says.',
            }),
          ),
        },
        { additionalProperties: false, description: 'Absent: any target the gateway may reach.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AgentProfile = Static<typeof AgentProfile>;

export const AgentSettings = Type.Object(
  {
    claim: Type.String({
      minLength: 1,
      maxLength: 128,
      default: 'agent_type',
      description: 'The verified JWT claim that names the agent type.',
    }),
    identities: Type.Record(
      Type.String({ minLength: 1, maxLength: 2048 }),
      Type.String({ pattern: AGENT_TYPE_PATTERN }),
      {
        default: {},
        description:
          'Client certificate identity (SPIFFE URI SAN, else DNS SAN, else CN; exact, or a prefix ending in `*`) → agent type, for agents that authenticate with mTLS. A claim and a certificate that disagree are AGENT_FORBIDDEN.',
      },
    ),
    profiles: Type.Record(Type.String({ pattern: AGENT_TYPE_PATTERN }), AgentProfile, {
      default: {},
      description:
        'Agent type → its profile. A request of an agent type without a profile is AGENT_FORBIDDEN. Read per request.',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'Agent-platform profiles per agent type (docs/agents.md).',
  },
);
export type AgentSettings = Static<typeof AgentSettings>;
