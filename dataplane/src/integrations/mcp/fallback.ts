/**
 * The native fallback of a gateway (`spec.fallback.route`): when a tool's upstream is
 * unavailable, the call is answered by that ProviderRoute through the one pipeline, as a chat
 * request of the caller's tenant (surface `inference`: its own budget reservation, safety and
 * audit receipt), without tools: the model is told which tool was asked for with which
 * arguments and answers in its stead. Its text becomes the tool result, marked in `_meta` as
 * the fallback's.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Pipeline } from '../../engine/pipeline/pipeline.ts';
import type { ConfigSnapshot } from '../../config/snapshot.ts';

export const FALLBACK_META = 'io.inference-service/fallback';

export interface FallbackCall {
  route: string;
  tenant: string;
  principal: string;
  requestId: string;
  /** The tool's gateway name and the caller's arguments. */
  tool: string;
  arguments: Record<string, unknown>;
  signal: AbortSignal;
}

export async function nativeFallback(
  pipeline: Pipeline,
  snapshot: ConfigSnapshot,
  call: FallbackCall,
): Promise<CallToolResult> {
  const completion = await pipeline.complete(
    {
      requestId: call.requestId,
      tenant: call.tenant,
      principal: call.principal,
      surface: 'inference',
      signal: call.signal,
      deadlineMs: snapshot.gateway.limits.requestTimeoutMs,
    },
    {
      model: call.route,
      messages: [
        {
          role: 'user',
          content: `The tool ${call.tool} is unavailable. Answer in its stead the call with these arguments: ${JSON.stringify(call.arguments)}`,
        },
      ],
    },
  );
  return {
    content: [{ type: 'text', text: completion.text }],
    _meta: { [FALLBACK_META]: { route: call.route } },
  };
}
