/**
 * The span of one `tools/call` through the gateway, after the MCP and GenAI semantic
 * conventions: named `tools/call {gen_ai.tool.name}` (the tool's gateway name, which comes
 * from the config once the call is allowed; a refused call's span is `tools/call` alone),
 * with `mcp.method.name`, `gen_ai.operation.name` `execute_tool`, `gen_ai.tool.name`,
 * `gen_ai.tool.type` `extension`, `jsonrpc.request.id`, `mcp.protocol.version`, the upstream's
 * `server.address` and `server.port`, and `error.type` (the vocabulary code) when the call was
 * not served. Never the arguments or the result (`gen_ai.tool.call.arguments`/`.result`),
 * and never the session id, which is a credential of the caller's.
 */
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';

export interface ToolSpan {
  /** The call was allowed: the span takes the tool's gateway name and its upstream. */
  allowed(name: string, upstreamUrl: string): void;
  /** Ends the span; `error` is the vocabulary code of a call not served. */
  end(error?: string): void;
}

const NO_SPAN: ToolSpan = { allowed: () => undefined, end: () => undefined };

export function startToolSpan(
  tracer: Tracer | undefined,
  call: { requestId: string | number; protocolVersion: string | undefined },
): ToolSpan {
  if (tracer === undefined) return NO_SPAN;
  const span: Span = tracer.startSpan('tools/call', {
    kind: SpanKind.SERVER,
    attributes: {
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.type': 'extension',
      'jsonrpc.request.id': String(call.requestId),
      'network.transport': 'tcp',
      ...(call.protocolVersion === undefined
        ? {}
        : { 'mcp.protocol.version': call.protocolVersion }),
    },
  });
  return {
    allowed: (name, upstreamUrl) => {
      const url = new URL(upstreamUrl);
      span.updateName(`tools/call ${name}`);
      span.setAttributes({
        'gen_ai.tool.name': name,
        'server.address': url.hostname,
        'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      });
    },
    end: (error) => {
      if (error !== undefined) {
        span.setAttribute('error.type', error);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    },
  };
}
