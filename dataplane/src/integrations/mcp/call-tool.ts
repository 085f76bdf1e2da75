/**
 * One `tools/call` through the gateway: refused unless the tool is allowed, forwarded to the
 * server its prefix names with the tool's own name, the upstream's progress passed back under
 * the caller's `progressToken`, cancelled upstream when the caller cancels or leaves, and one
 * audit receipt whatever happens.
 */
import { DEFAULT_REQUEST_TIMEOUT_MSEC } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  ErrorCode,
  type CallToolRequest,
  type CallToolResult,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { ToolCall } from '../../audit/trail.ts';
import type { McpGatewayConfig, McpUpstream } from '../../config/mcp.ts';
import type { Principal } from '../../security/principal.ts';
import { splitName } from './names.ts';
import { jsonRpcError, UpstreamUnavailable, withUpstream, type UpstreamLink } from './upstream.ts';

/** Where receipts go: one per tool call, names and counts only. */
export type RecordToolCall = (
  call: Omit<ToolCall, 'tenant' | 'principal' | 'requestId'>,
) => Promise<void>;

export interface CallContext {
  readonly gateway: McpGatewayConfig;
  readonly principal: Principal;
  /** The servers the caller's scopes reach. */
  readonly upstreams: readonly McpUpstream[];
  readonly record: RecordToolCall;
  readonly links: (server: string) => UpstreamLink;
  /** Registers a running call, so that the caller's `notifications/cancelled` reaches it. */
  readonly track: (requestId: RequestId) => Promise<{ signal: AbortSignal; release(): void }>;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export async function callTool(
  context: CallContext,
  request: CallToolRequest,
  extra: Extra,
): Promise<CallToolResult> {
  const { gateway, record } = context;
  const started = performance.now();
  const name = request.params.name;
  const args = request.params.arguments ?? {};
  const { server: serverName, name: tool } = splitName(name);
  const facts = {
    gateway: gateway.name,
    server: serverName,
    tool,
    arguments: Object.keys(args).length,
  };
  const elapsed = () => Math.round(performance.now() - started);
  const upstream = context.upstreams.find((u) => u.name === serverName);
  if (upstream === undefined || !upstream.allowedTools.has(tool)) {
    await record({ ...facts, outcome: 'refused', error: 'FORBIDDEN', durationMs: elapsed() });
    throw jsonRpcError(ErrorCode.InvalidParams, `Tool ${name} is not offered by this gateway.`);
  }
  const running = await context.track(extra.requestId);
  const signal = AbortSignal.any([extra.signal, running.signal]);
  const progressToken = request.params._meta?.progressToken;
  try {
    // Once connected, the call runs until answered, up to the SDK's request timeout (60 s),
    // restarted by each progress notification when the caller asked for progress.
    const result = (await withUpstream(
      upstream,
      gateway.timeoutMs,
      context.links(upstream.name),
      (client) =>
        client.callTool({ name: tool, arguments: args }, undefined, {
          signal,
          timeout: DEFAULT_REQUEST_TIMEOUT_MSEC,
          ...(progressToken === undefined
            ? {}
            : {
                resetTimeoutOnProgress: true,
                onprogress: (progress) => {
                  extra
                    .sendNotification({
                      method: 'notifications/progress',
                      params: { ...progress, progressToken },
                    })
                    .catch(() => undefined);
                },
              }),
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
    if (signal.aborted) {
      await record({ ...facts, outcome: 'cancelled', durationMs: elapsed() });
      throw jsonRpcError(ErrorCode.InternalError, `The call of ${name} was cancelled.`);
    }
    const code =
      error instanceof UpstreamUnavailable ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_BAD_REQUEST';
    await record({ ...facts, outcome: 'failed', error: code, durationMs: elapsed() });
    throw error;
  } finally {
    running.release();
  }
}
