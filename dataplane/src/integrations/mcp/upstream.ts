/**
 * One exchange with an upstream MCP server: connect (initialize) with the gateway's own
 * credential, run one request, close. Every step shares one deadline, so an upstream that is
 * down or silent is a clear `McpError` within the gateway's `timeoutMs`, never a hang.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpUpstream } from '../../config/mcp.ts';

export const GATEWAY_CLIENT = { name: 'inference-service-mcp-gateway', version: '0.1.0' };

/**
 * A JSON-RPC error whose message is the text alone: McpError prefixes `MCP error <code>: `,
 * and the caller's SDK prefixes it again when it reads the answer.
 */
export function jsonRpcError(code: ErrorCode, message: string): McpError {
  const error = new McpError(code, message);
  error.message = message;
  return error;
}

/** Why an upstream could not answer, as the caller sees it (JSON-RPC internal error). */
export class UpstreamUnavailable extends McpError {
  readonly server: string;
  constructor(server: string, reason: string) {
    const message = `Upstream MCP server ${server} is unavailable: ${reason}`;
    super(ErrorCode.InternalError, message);
    this.message = message;
    this.server = server;
  }
}

export async function withUpstream<T>(
  upstream: McpUpstream,
  timeoutMs: number,
  use: (client: Client, options: { timeout: number; signal: AbortSignal }) => Promise<T>,
): Promise<T> {
  if (upstream.transport !== 'streamable-http') {
    throw new UpstreamUnavailable(
      upstream.name,
      `its transport ${upstream.transport} is not spoken by this gateway yet.`,
    );
  }
  const signal = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> =
    upstream.token === undefined ? {} : { authorization: `Bearer ${upstream.token}` };
  const transport = new StreamableHTTPClientTransport(new URL(upstream.url), {
    requestInit: { headers, signal },
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      reconnectionDelayGrowFactor: 1,
    },
  });
  const client = new Client(GATEWAY_CLIENT);
  const options = { timeout: timeoutMs, signal };
  try {
    await client.connect(transport, options);
    return await use(client, options);
  } catch (error) {
    if (error instanceof McpError && !isTransportFailure(error)) throw error;
    throw new UpstreamUnavailable(upstream.name, reasonOf(error, signal, timeoutMs));
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** A timeout or a closed connection is the upstream's unavailability, not its answer. */
function isTransportFailure(error: McpError): boolean {
  const failures: readonly number[] = [ErrorCode.RequestTimeout, ErrorCode.ConnectionClosed];
  return failures.includes(error.code);
}

function reasonOf(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted) return `no answer within ${timeoutMs} ms.`;
  // fetch's TypeError('fetch failed') carries the socket's error (ECONNREFUSED…) as its cause.
  let cause: unknown = error;
  let message = 'unknown error';
  for (let depth = 0; depth < 4 && typeof cause === 'object' && cause !== null; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return `${code}.`;
    if (cause instanceof Error) message = cause.message.split('\n')[0] ?? message;
    cause = (cause as { cause?: unknown }).cause;
  }
  return `${message}.`;
}
