/** MCPGateway: the gateway's upstream MCP servers, off unless enabled, with a native fallback. */
import { Type, type Static } from '@sinclair/typebox';
import {
  cel,
  Conditions,
  Credentials,
  DNS_LABEL,
  HTTP_URL,
  IntOrString,
  MODEL_ALIAS,
  ObservedGeneration,
  StringEnum,
  Struct,
  type KindDescriptor,
  type Resource,
} from './common.ts';
import { USD_DECIMAL } from './tenant-budget.ts';

export const MCP_GATEWAY_CONDITIONS = ['Ready'] as const;

export const MAX_MCP_SERVERS = 32;

export const McpServer = Struct(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL,
      description: 'Name of the server, unique in the gateway; prefixes its tools.',
    }),
    url: Type.String({
      pattern: HTTP_URL,
      minLength: 1,
      maxLength: 2048,
      description: 'Endpoint of the MCP server (http or https).',
    }),
    transport: Type.Optional(
      StringEnum(['streamable-http', 'sse'], {
        default: 'streamable-http',
        description:
          'MCP transport: streamable-http (current spec) or sse (the legacy HTTP+SSE one).',
      }),
    ),
    credentials: Type.Optional(Credentials('Bearer token sent to the MCP server, from a Secret.')),
    allowedTools: Type.Optional(
      Type.Array(
        Type.String({ minLength: 1, maxLength: 128, description: 'A tool name of the server.' }),
        {
          maxItems: 256,
          default: [],
          'x-kubernetes-list-type': 'set',
          description: 'Tools of this server that callers may use; an empty list allows none.',
        },
      ),
    ),
    allowedPrompts: Type.Optional(
      Type.Array(
        Type.String({ minLength: 1, maxLength: 128, description: 'A prompt name of the server.' }),
        {
          maxItems: 256,
          default: [],
          'x-kubernetes-list-type': 'set',
          description:
            'Prompts of this server that callers may list and get; an empty list allows none.',
        },
      ),
    ),
    allowedResources: Type.Optional(
      Type.Array(
        Type.String({
          minLength: 1,
          maxLength: 2048,
          description: 'A resource URI prefix, such as file:///docs/.',
        }),
        {
          maxItems: 64,
          default: [],
          'x-kubernetes-list-type': 'set',
          description:
            'Resources of this server that callers may list and read: those whose URI starts with one of these; an empty list allows none.',
        },
      ),
    ),
    requiredScopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128, description: 'An OAuth scope.' }), {
        maxItems: 32,
        default: [],
        'x-kubernetes-list-type': 'set',
        description: "Scopes the caller's token must all carry to use this server.",
      }),
    ),
    pricePerCallUSD: Type.Optional(
      IntOrString({
        pattern: USD_DECIMAL,
        minimum: 0,
        description:
          "What one call of a tool of this server costs, in US dollars: charged to the caller tenant's TenantBudget. Unset: free.",
      }),
    ),
  },
  { description: 'One upstream MCP server.' },
);
export type McpServer = Static<typeof McpServer>;

export const MCPGatewaySpec = Struct(
  {
    enabled: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Turns the MCP gateway on; while false nothing is rendered for it.',
      }),
    ),
    servers: Type.Optional(
      Type.Array(McpServer, {
        maxItems: MAX_MCP_SERVERS,
        description: 'Upstream MCP servers.',
        ...cel({
          rule: 'self.all(s, self.exists_one(t, t.name == s.name))',
          message: 'Server names must be unique within a gateway.',
        }),
      }),
    ),
    toolCallsPerMinute: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000000,
        description:
          "Tool calls one tenant may make through this gateway per UTC minute, over and above its TenantBudget's requestsPerMinute; unset: no limit of the gateway's own.",
      }),
    ),
    fallback: Type.Optional(
      Struct(
        {
          route: Type.String({
            minLength: 1,
            maxLength: 63,
            pattern: MODEL_ALIAS,
            description:
              'Alias of the ProviderRoute that answers natively (without tools) when MCP is unavailable.',
          }),
          timeoutMs: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 60000,
              default: 300,
              description: 'How long to wait for MCP before falling back, in milliseconds.',
            }),
          ),
        },
        { description: 'Native-provider fallback used when MCP is unavailable.' },
      ),
    ),
  },
  {
    description: 'Desired state of the MCPGateway.',
    ...cel({
      rule: '!has(self.enabled) || !self.enabled || (has(self.servers) && size(self.servers) > 0)',
      message: 'An enabled MCPGateway needs at least one server.',
      fieldPath: '.servers',
      reason: 'FieldValueRequired',
    }),
  },
);
export type MCPGatewaySpec = Static<typeof MCPGatewaySpec>;

export const McpServerStatus = Struct(
  {
    name: Type.String({ maxLength: 63, description: 'The server, as spec.servers names it.' }),
    reachable: Type.Boolean({
      description: 'The gateway reached it (initialize and tools/list) when it last asked.',
    }),
    tools: Type.Integer({
      minimum: 0,
      description: 'Tools it listed that allowedTools lets callers use, when last asked.',
    }),
    message: Type.Optional(Type.String({ maxLength: 512, description: 'Why it was not reached.' })),
  },
  { description: "What the dataplane last saw of one server (never the operator's guess)." },
);
export type McpServerStatus = Static<typeof McpServerStatus>;

export const MCPGatewayStatus = Struct(
  {
    conditions: Type.Optional(Conditions(MCP_GATEWAY_CONDITIONS)),
    observedGeneration: Type.Optional(ObservedGeneration),
    servers: Type.Optional(
      Type.Array(McpServerStatus, {
        maxItems: MAX_MCP_SERVERS,
        description:
          "Each server's reachability and allowed tool count, as the gateway's dataplane reported them; absent while no report is known.",
      }),
    ),
    tools: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: "Tools the gateway serves: the sum of the reachable servers' tool counts.",
      }),
    ),
  },
  { description: 'Observed state of the MCPGateway, written by the operator.' },
);
export type MCPGatewayStatus = Static<typeof MCPGatewayStatus>;

export type MCPGateway = Resource<'MCPGateway', MCPGatewaySpec, MCPGatewayStatus>;

export const mcpGatewayKind: KindDescriptor<typeof MCPGatewaySpec, typeof MCPGatewayStatus> = {
  kind: 'MCPGateway',
  plural: 'mcpgateways',
  singular: 'mcpgateway',
  shortNames: ['mcpgw'],
  description:
    'MCPGateway configures the MCP gateway of the dataplane: upstream MCP servers with their tools and scopes, and a native-provider fallback. It is off unless enabled.',
  conditionTypes: MCP_GATEWAY_CONDITIONS,
  printerColumns: [
    { name: 'Enabled', type: 'boolean', jsonPath: '.spec.enabled', description: 'Gateway on.' },
    {
      name: 'Tools',
      type: 'integer',
      jsonPath: '.status.tools',
      description: 'Tools the reachable servers offer.',
    },
    {
      name: 'Fallback',
      type: 'string',
      jsonPath: '.spec.fallback.route',
      description: 'Fallback route alias.',
    },
  ],
  spec: MCPGatewaySpec,
  status: MCPGatewayStatus,
};
