/**
 * `POST /mcp/{gateway}` (scope `mcp:invoke`): the MCP Streamable HTTP transport, stateless (no
 * `Mcp-Session-Id`; every POST is answered on its own, as JSON), for each gateway that
 * `mcp.yaml` enables. A gateway that is not enabled is a 404 and nothing connects upstream.
 * GET (the server-initiated stream) and DELETE (session end) are a 405: there are no sessions.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { Type } from '@sinclair/typebox';
import { principalOf } from '../../api/auth.ts';
import { errorResponses } from '../../api/schemas.ts';
import type { McpGatewayConfig } from '../../config/mcp.ts';
import type { Services } from '../../engine/services.ts';
import { ApiError } from '../../errors/api-error.ts';
import { buildGatewayServer } from './aggregate.ts';

const Params = Type.Object({
  gateway: Type.String({ minLength: 1, maxLength: 253, description: 'The MCPGateway name.' }),
});

const JsonRpc = Type.Union([
  Type.Object({ jsonrpc: Type.Literal('2.0') }, { additionalProperties: true }),
  Type.Array(Type.Object({ jsonrpc: Type.Literal('2.0') }, { additionalProperties: true }), {
    minItems: 1,
  }),
]);

export const mcpPlugin: FastifyPluginAsyncTypebox<{ services: Services }> = async (
  app,
  { services },
) => {
  const enabledGateway = (name: string): McpGatewayConfig => {
    const gateway = services.snapshot().mcp.gateways.get(name);
    if (gateway === undefined)
      throw new ApiError('NOT_FOUND', `No enabled MCP gateway is named ${name}.`);
    return gateway;
  };

  app.post(
    '/mcp/:gateway',
    {
      config: { scope: 'mcp:invoke' },
      schema: {
        summary:
          'MCP Streamable HTTP endpoint of an MCPGateway: initialize, tools/list, tools/call.',
        tags: ['mcp'],
        params: Params,
        body: JsonRpc,
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const gateway = enabledGateway(request.params.gateway);
      const principal = principalOf(request);
      const server = buildGatewayServer(gateway, principal, (call) =>
        services.audit.tool({
          ...call,
          tenant: principal.tenant,
          principal: principal.subject,
          requestId: request.id,
        }),
      );
      // No sessionIdGenerator: stateless mode, no Mcp-Session-Id.
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      reply.hijack();
      reply.raw.setHeader('x-request-id', request.id);
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request.raw, reply.raw, request.body);
    },
  );

  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp/:gateway',
      config: { scope: 'mcp:invoke' },
      schema: {
        summary: `Not served: the endpoint is stateless (no sessions, no server-initiated stream).`,
        tags: ['mcp'],
        params: Params,
        response: errorResponses,
      },
      handler: async (request, reply) => {
        enabledGateway(request.params.gateway);
        reply.header('allow', 'POST');
        throw new ApiError('METHOD_NOT_ALLOWED', 'This MCP endpoint is stateless: POST only.');
      },
    });
  }
};
