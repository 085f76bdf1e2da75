/**
 * The MCP server one gateway presents to one caller: the union of the upstreams' allowed tools,
 * each named `<server>__<tool>` (`names.ts`), and each call forwarded to its server
 * (`call-tool.ts`); resources and prompts where upstreams offer them (`passthrough.ts`).
 * Built per request for the caller's scopes; what lasts between requests
 * (the upstream sessions, the running calls) comes in through the `GatewayRequest`.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpGatewayConfig, McpUpstream } from '../../config/mcp.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Principal } from '../../security/principal.ts';
import { agentToolFilter } from '../nops/tool-allowlist.ts';
import { callTool, type CallContext } from './call-tool.ts';
import { gatewayName } from './names.ts';
import { passthroughCapabilities, registerPassthrough } from './passthrough.ts';
import { gatewayRefusal, withUpstream } from './upstream.ts';

/** The upstreams whose required scopes the caller's token all carries. */
export function visibleUpstreams(gateway: McpGatewayConfig, principal: Principal): McpUpstream[] {
  return gateway.upstreams.filter((u) => u.requiredScopes.every((s) => principal.scopes.has(s)));
}

/**
 * The low-level `Server` (deprecated for servers that declare their own tools): a gateway
 * forwards its upstreams' JSON Schemas as they are, which the zod-typed `McpServer` cannot.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated
export function buildGatewayServer(context: Omit<CallContext, 'upstreams'>): Server {
  const { gateway, principal, links } = context;
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server(
    { name: `inference-service-mcp-gateway/${gateway.name}`, version: '0.1.0' },
    {
      capabilities: { tools: {}, ...passthroughCapabilities(visibleUpstreams(gateway, principal)) },
    },
  );
  const upstreams = visibleUpstreams(gateway, principal);
  registerPassthrough(server, { ...context, upstreams });

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    // An agent sees only the tools its profile lists (integrations/nops); no other server is asked.
    let visible: (name: string) => boolean;
    try {
      visible = agentToolFilter(context.snapshot(), principal);
    } catch (error) {
      if (error instanceof ApiError) throw gatewayRefusal(error);
      throw error;
    }
    // The whole list, every server's connect and pages, within the gateway's timeout.
    const options = { timeout: gateway.timeoutMs, signal: AbortSignal.timeout(gateway.timeoutMs) };
    const lists = await Promise.all(
      upstreams
        .filter((u) => [...u.allowedTools].some((tool) => visible(gatewayName(u.name, tool))))
        .map((u) =>
          withUpstream(u, gateway.timeoutMs, links(u.name), async (client) => {
            const tools: Tool[] = [];
            let cursor: string | undefined;
            do {
              const page = await client.listTools(cursor === undefined ? {} : { cursor }, options);
              for (const tool of page.tools) {
                const name = gatewayName(u.name, tool.name);
                if (u.allowedTools.has(tool.name) && visible(name)) tools.push({ ...tool, name });
              }
              cursor = page.nextCursor;
            } while (cursor !== undefined);
            return tools;
          }),
        ),
    );
    return { tools: lists.flat() };
  });

  server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
    callTool({ ...context, upstreams }, request, extra),
  );
  return server;
}
