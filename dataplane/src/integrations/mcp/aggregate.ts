/**
 * The MCP server one gateway presents to one caller: the union of the upstreams' allowed tools,
 * each named `<server>__<tool>` (server names are DNS labels, which hold no `_`, so the split
 * is exact and two servers' tools never collide), and each call forwarded to its server.
 * Built per request for the caller's scopes; what lasts between requests (the upstream
 * sessions) comes in through `links`.
 */
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpGatewayConfig, McpUpstream } from '../../config/mcp.ts';
import type { ToolCall } from '../../audit/trail.ts';
import type { Principal } from '../../security/principal.ts';
import { jsonRpcError, UpstreamUnavailable, withUpstream, type UpstreamLink } from './upstream.ts';

export const SEPARATOR = '__';

export const gatewayToolName = (server: string, tool: string) => `${server}${SEPARATOR}${tool}`;

/** Where receipts go: one per tool call, names and counts only. */
export type RecordToolCall = (
  call: Omit<ToolCall, 'tenant' | 'principal' | 'requestId'>,
) => Promise<void>;

/** The upstreams whose required scopes the caller's token all carries. */
export function visibleUpstreams(gateway: McpGatewayConfig, principal: Principal): McpUpstream[] {
  return gateway.upstreams.filter((u) => u.requiredScopes.every((s) => principal.scopes.has(s)));
}

/**
 * The low-level `Server` (deprecated for servers that declare their own tools): a gateway
 * forwards its upstreams' JSON Schemas as they are, which the zod-typed `McpServer` cannot.
 */
export function buildGatewayServer(
  gateway: McpGatewayConfig,
  principal: Principal,
  record: RecordToolCall,
  links: (server: string) => UpstreamLink,
  // eslint-disable-next-line @typescript-eslint/no-deprecated
): Server {
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const server = new Server(
    { name: `inference-service-mcp-gateway/${gateway.name}`, version: '0.1.0' },
    { capabilities: { tools: {} } },
  );
  const upstreams = visibleUpstreams(gateway, principal);

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    // The whole list, every server's connect and pages, within the gateway's timeout.
    const options = { timeout: gateway.timeoutMs, signal: AbortSignal.timeout(gateway.timeoutMs) };
    const lists = await Promise.all(
      upstreams
        .filter((u) => u.allowedTools.size > 0)
        .map((u) =>
          withUpstream(u, gateway.timeoutMs, links(u.name), async (client) => {
            const tools: Tool[] = [];
            let cursor: string | undefined;
            do {
              const page = await client.listTools(cursor === undefined ? {} : { cursor }, options);
              for (const tool of page.tools) {
                if (u.allowedTools.has(tool.name))
                  tools.push({ ...tool, name: gatewayToolName(u.name, tool.name) });
              }
              cursor = page.nextCursor;
            } while (cursor !== undefined);
            return tools;
          }),
        ),
    );
    return { tools: lists.flat() };
  });

  server.setRequestHandler(
    CallToolRequestSchema,
    async (request, extra): Promise<CallToolResult> => {
      const started = performance.now();
      const name = request.params.name;
      const args = request.params.arguments ?? {};
      const cut = name.indexOf(SEPARATOR);
      const serverName = cut < 0 ? '' : name.slice(0, cut);
      const tool = cut < 0 ? name : name.slice(cut + SEPARATOR.length);
      const facts = {
        gateway: gateway.name,
        server: serverName,
        tool,
        arguments: Object.keys(args).length,
      };
      const elapsed = () => Math.round(performance.now() - started);
      const upstream = upstreams.find((u) => u.name === serverName);
      if (upstream === undefined || !upstream.allowedTools.has(tool)) {
        await record({ ...facts, outcome: 'refused', error: 'FORBIDDEN', durationMs: elapsed() });
        throw jsonRpcError(ErrorCode.InvalidParams, `Tool ${name} is not offered by this gateway.`);
      }
      try {
        // Once connected, the call runs until answered, up to the SDK's request timeout (60 s);
        // the caller leaving cancels it upstream.
        const result = (await withUpstream(
          upstream,
          gateway.timeoutMs,
          links(upstream.name),
          (client) =>
            client.callTool({ name: tool, arguments: args }, undefined, {
              signal: extra.signal,
              timeout: DEFAULT_REQUEST_TIMEOUT_MSEC,
            }),
        )) as CallToolResult;
        await record({
          ...facts,
          outcome: 'served',
          contentItems: result.content.length,
          durationMs: elapsed(),
        });
        return result;
      } catch (error) {
        const code =
          error instanceof UpstreamUnavailable ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_BAD_REQUEST';
        await record({ ...facts, outcome: 'failed', error: code, durationMs: elapsed() });
        throw error;
      }
    },
  );
  return server;
}
