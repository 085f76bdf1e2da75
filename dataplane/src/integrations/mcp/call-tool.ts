/**
 * One `tools/call` through the gateway, stage by stage: refused unless the tool is allowed;
 * reserved against the tenant's budget (`tool-budget.ts`: its rate and cost limits, the
 * server's price per call); forwarded to the server its prefix names, with the tool's own
 * name, the upstream's progress passed back under the caller's `progressToken`, cancelled
 * upstream when the caller cancels or leaves; its result through input safety
 * (`result-safety.ts`); settled; one span (`tool-span.ts`) and one audit receipt whatever
 * happens. A call whose upstream is unavailable is answered by the gateway's native fallback
 * route when it names one (`fallback.ts`). A refusal of the gateway's own (allowlist, budget, safety) is a JSON-RPC error
 * whose `data.code` is the error vocabulary's code.
 */
import {
  DEFAULT_REQUEST_TIMEOUT_MSEC,
  type RequestHandlerExtra,
} from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Tracer } from '@opentelemetry/api';
import {
  ErrorCode,
  type CallToolRequest,
  type CallToolResult,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { ToolCall } from '../../audit/trail.ts';
import type { BudgetStore } from '../../budget/store.ts';
import type { McpGatewayConfig, McpUpstream } from '../../config/mcp.ts';
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import type { Safety } from '../../engine/pipeline/prepare.ts';
import { SafetyRefusal } from '../../engine/safety-refusal.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Principal } from '../../security/principal.ts';
import { agentToolRefusal, agentTypeOf } from '../nops/tool-allowlist.ts';
import { gatewayName, splitName } from './names.ts';
import type { FallbackCall } from './fallback.ts';
import { checkToolResult } from './result-safety.ts';
import type { ToolCallLimiter } from './tool-call-limit.ts';
import { reserveToolCall } from './tool-budget.ts';
import { startToolSpan } from './tool-span.ts';
import {
  gatewayRefusal,
  jsonRpcError,
  UpstreamUnavailable,
  withUpstream,
  type UpstreamLink,
} from './upstream.ts';

/** Where receipts go: one per tool call, names and counts only. */
export type RecordToolCall = (
  call: Omit<ToolCall, 'tenant' | 'principal' | 'requestId'>,
) => Promise<void>;

export interface CallContext {
  readonly gateway: McpGatewayConfig;
  readonly principal: Principal;
  /** The MCP session, and the revision it negotiated. */
  readonly session: string;
  readonly protocolVersion: string | undefined;
  /** The servers the caller's scopes reach. */
  readonly upstreams: readonly McpUpstream[];
  readonly record: RecordToolCall;
  readonly links: (server: string) => UpstreamLink;
  /** Registers a running call, so that the caller's `notifications/cancelled` reaches it. */
  readonly track: (requestId: RequestId) => Promise<{ signal: AbortSignal; release(): void }>;
  readonly budgets: BudgetStore;
  /** The gateway's own per-tenant tool-call limit (`tool-call-limit.ts`). */
  readonly limiter: ToolCallLimiter;
  readonly snapshot: () => ConfigSnapshot;
  readonly safety: Safety;
  readonly tracer: Tracer | undefined;
  /** Runs the gateway's native fallback (`fallback.ts`) for a call whose upstream is down. */
  readonly fallback: (
    call: Omit<FallbackCall, 'route'> & { route: string },
  ) => Promise<CallToolResult>;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export async function callTool(
  context: CallContext,
  request: CallToolRequest,
  extra: Extra,
): Promise<CallToolResult> {
  const { gateway, record, principal } = context;
  const started = performance.now();
  const span = startToolSpan(context.tracer, {
    requestId: extra.requestId,
    protocolVersion: context.protocolVersion,
  });
  const name = request.params.name;
  const args = request.params.arguments ?? {};
  const { server: serverName, name: tool } = splitName(name);
  const agent = agentTypeOf(context.snapshot(), principal);
  const facts = {
    gateway: gateway.name,
    server: serverName,
    tool,
    arguments: Object.keys(args).length,
    ...(agent === undefined ? {} : { agent }),
  };
  const elapsed = () => Math.round(performance.now() - started);
  const refuse = async (error: ApiError): Promise<never> => {
    await record({
      ...facts,
      outcome: 'refused',
      error: error.code,
      ...(error instanceof SafetyRefusal ? { findings: error.findings } : {}),
      durationMs: elapsed(),
    });
    span.end(error.code);
    throw gatewayRefusal(error);
  };

  const upstream = context.upstreams.find((u) => u.name === serverName);
  if (upstream === undefined || !upstream.allowedTools.has(tool)) {
    await record({ ...facts, outcome: 'refused', error: 'FORBIDDEN', durationMs: elapsed() });
    span.end('FORBIDDEN');
    throw jsonRpcError(ErrorCode.InvalidParams, `Tool ${name} is not offered by this gateway.`);
  }
  // The agent's profile (integrations/nops) narrows the gateway's allowlist, never widens it.
  const agentRefusal = agentToolRefusal(context.snapshot(), principal, name);
  if (agentRefusal !== undefined) return refuse(agentRefusal);
  span.allowed(gatewayName(upstream.name, tool), upstream.url);
  const limit = gateway.toolCallsPerMinute;
  if (limit !== undefined) {
    const decision = await context.limiter
      .admit(principal.tenant, gateway.name, limit, Date.now())
      .catch((error: unknown) =>
        refuse(
          new ApiError('BUDGET_UNAVAILABLE', 'The tool-call limit cannot be checked.', {
            retryAfterS: 1,
            cause: error,
          }),
        ),
      );
    if (!decision.admitted) {
      return refuse(
        new ApiError(
          'RATE_LIMITED',
          `Tenant ${principal.tenant} has made its ${String(limit)} tool calls of this minute through MCP gateway ${gateway.name}.`,
          {
            details: { limit: 'toolCallsPerMinute', value: limit },
            retryAfterS: decision.retryAfterS,
          },
        ),
      );
    }
  }
  const reservation = await reserveToolCall(context.budgets, context.snapshot(), {
    tenant: principal.tenant,
    requestId: `mcp:${context.session}:${String(extra.requestId)}`,
    price: upstream.pricePerCall,
    leaseMs: DEFAULT_REQUEST_TIMEOUT_MSEC + 60_000,
    now: Date.now(),
  }).catch((error: unknown) => {
    if (error instanceof ApiError) return refuse(error);
    throw error;
  });

  const running = await context.track(extra.requestId);
  const signal = AbortSignal.any([extra.signal, running.signal]);
  const progressToken = request.params._meta?.progressToken;
  let result: CallToolResult;
  try {
    // Once connected, the call runs until answered, up to the SDK's request timeout (60 s),
    // restarted by each progress notification when the caller asked for progress.
    result = (await withUpstream(
      upstream,
      gateway.timeoutMs,
      context.links(upstream.name),
      (client, lost) =>
        client.callTool({ name: tool, arguments: args }, undefined, {
          signal: AbortSignal.any([signal, lost]),
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
  } catch (error) {
    await reservation.settle(false);
    if (signal.aborted) {
      await record({ ...facts, outcome: 'cancelled', durationMs: elapsed() });
      span.end('CANCELLED');
      throw jsonRpcError(ErrorCode.InternalError, `The call of ${name} was cancelled.`);
    }
    const code =
      error instanceof UpstreamUnavailable ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_BAD_REQUEST';
    // The tool was not served: its receipt and span say so whether a fallback answers or not
    // (the fallback's answer has its own receipt, of the request it made).
    await record({ ...facts, outcome: 'failed', error: code, durationMs: elapsed() });
    span.end(code);
    if (error instanceof UpstreamUnavailable && gateway.fallbackRoute !== undefined) {
      const route = gateway.fallbackRoute;
      return await context
        .fallback({
          route,
          tenant: principal.tenant,
          principal: principal.subject,
          requestId: `mcp-fallback:${context.session}:${String(extra.requestId)}`,
          tool: name,
          arguments: args,
          signal,
        })
        .catch((failure: unknown) => {
          throw jsonRpcError(
            ErrorCode.InternalError,
            `${error.message} Its fallback route ${route} failed too: ${failure instanceof ApiError ? failure.code : 'INTERNAL'}.`,
          );
        });
    }
    throw error;
  } finally {
    running.release();
  }
  // The upstream did the work: the call is charged whether its result passes safety or not.
  await reservation.settle(true);
  let checked: Awaited<ReturnType<typeof checkToolResult>>;
  try {
    checked = await checkToolResult(context.safety, result, { tenant: principal.tenant });
  } catch (error) {
    if (error instanceof ApiError) return refuse(error);
    throw error;
  }
  const findings = Object.keys(checked.findings).length > 0 ? checked.findings : undefined;
  await record({
    ...facts,
    outcome: 'served',
    contentItems: checked.result.content.length,
    ...(findings === undefined ? {} : { findings }),
    durationMs: elapsed(),
  });
  span.end();
  return checked.result;
}
