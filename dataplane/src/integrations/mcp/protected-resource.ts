/**
 * What the MCP authorization spec (revision 2025-11-25) asks of a server that is an OAuth 2.0
 * protected resource: its Protected Resource Metadata (RFC 9728) at the well-known URI formed
 * by inserting `/.well-known/oauth-protected-resource` before the endpoint's path, naming the
 * JWT issuer the gateway trusts as its authorization server; and, on a 401 from an MCP
 * endpoint, a `WWW-Authenticate` challenge whose `resource_metadata` points at it, with the
 * `scope` to ask for (a 403 for a missing scope keeps `error="insufficient_scope"`). The gateway
 * issues no tokens and runs no authorization server: the metadata only points at the issuer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { errorResponses } from '../../api/schemas.ts';
import type { McpGatewayConfig } from '../../config/mcp.ts';
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { ApiError } from '../../errors/api-error.ts';

/** The scope every MCP endpoint requires (plugin.ts). */
export const MCP_SCOPE = 'mcp:invoke';

export const WELL_KNOWN = '/.well-known/oauth-protected-resource';

const Metadata = Type.Object(
  {
    resource: Type.String({ description: 'The MCP endpoint this metadata is about.' }),
    authorization_servers: Type.Array(Type.String(), {
      description: "The issuer of the tokens the gateway accepts (gateway.yaml's auth.issuer).",
    }),
    scopes_supported: Type.Array(Type.String(), {
      description: "mcp:invoke, and the servers' requiredScopes.",
    }),
    bearer_methods_supported: Type.Array(Type.String()),
    resource_name: Type.String(),
  },
  { description: 'OAuth 2.0 Protected Resource Metadata (RFC 9728).' },
);

/** `https://host:port`, as the caller addressed the gateway. */
const originOf = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

export const metadataUrl = (request: FastifyRequest, gateway: string): string =>
  `${originOf(request)}${WELL_KNOWN}/mcp/${encodeURIComponent(gateway)}`;

export function protectedResourceMetadata(
  request: FastifyRequest,
  gateway: McpGatewayConfig,
  snapshot: ConfigSnapshot,
) {
  const scopes = new Set([MCP_SCOPE, ...gateway.upstreams.flatMap((u) => u.requiredScopes)]);
  return {
    resource: `${originOf(request)}/mcp/${encodeURIComponent(gateway.name)}`,
    authorization_servers: [snapshot.gateway.auth.issuer],
    scopes_supported: [...scopes],
    bearer_methods_supported: ['header'],
    resource_name: `MCP gateway ${gateway.name}`,
  };
}

/**
 * The challenge of a refused MCP request: the one the error handler wrote (RFC 6750: realm, and
 * `invalid_token` or `insufficient_scope` with the scope) with the metadata URL added, and on a
 * 401 the scope to ask for. undefined: the refusal needs no challenge.
 */
export function challengeOf(
  status: number,
  written: string | undefined,
  request: FastifyRequest,
  gateway: string,
): string | undefined {
  if (written === undefined || (status !== 401 && status !== 403)) return written;
  const scope = status === 401 && !written.includes('scope=') ? `, scope="${MCP_SCOPE}"` : '';
  return `${written}${scope}, resource_metadata="${metadataUrl(request, gateway)}"`;
}

/** The public metadata route, one document per enabled gateway; any other name is a 404. */
export function registerProtectedResource(
  app: FastifyInstance,
  snapshot: () => ConfigSnapshot,
): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    `${WELL_KNOWN}/mcp/:gateway`,
    {
      schema: {
        summary: "OAuth 2.0 Protected Resource Metadata (RFC 9728) of an MCPGateway's endpoint.",
        tags: ['mcp'],
        params: Type.Object({ gateway: Type.String({ minLength: 1, maxLength: 253 }) }),
        response: { ...errorResponses, 200: Metadata },
      },
    },
    async (request, reply) => {
      const served = snapshot();
      const gateway = served.mcp.gateways.get(request.params.gateway);
      if (gateway === undefined)
        throw new ApiError(
          'NOT_FOUND',
          `No enabled MCP gateway is named ${request.params.gateway}.`,
        );
      return reply
        .header('cache-control', 'max-age=300')
        .send(protectedResourceMetadata(request, gateway, served));
    },
  );
}
