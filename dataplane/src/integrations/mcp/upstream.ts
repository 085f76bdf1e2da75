/**
 * One use of an upstream MCP server with the gateway's own credential: connect, continuing the
 * gateway session's upstream session when there is one (no new initialize) or initializing
 * and keeping the session the upstream issues, run the request, close the connection (the
 * upstream session stays). Connecting is bounded by the gateway's `timeoutMs`, so an upstream
 * that is down or silent is a clear `McpError` within it, never a hang; the request itself is
 * bounded by the deadline its caller gives.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpUpstream } from '../../config/mcp.ts';
import { waitAtMost } from '../../core/wait.ts';
import type { UpstreamSession } from './session-store.ts';

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

/** The gateway session's hold on one upstream's session. */
export interface UpstreamLink {
  readonly session: UpstreamSession | undefined;
  /** Keeps the session an upstream issued at initialize, for the next request. */
  keep(session: UpstreamSession): Promise<void>;
}

/**
 * The SDK's transport, which can wait for the messages it is still sending: a call that is
 * cancelled sends `notifications/cancelled` upstream without waiting, and closing the
 * transport at once would abort that POST.
 */
class UpstreamTransport extends StreamableHTTPClientTransport {
  readonly #sending = new Set<Promise<void>>();

  override send(...args: Parameters<StreamableHTTPClientTransport['send']>): Promise<void> {
    const sent = super.send(...args);
    this.#sending.add(sent);
    void sent.catch(() => undefined).finally(() => this.#sending.delete(sent));
    return sent;
  }

  /** Waits at most `ms` for the messages still being sent. */
  async drain(ms: number): Promise<void> {
    if (this.#sending.size > 0) await waitAtMost(Promise.allSettled(this.#sending), ms);
  }
}

function transportFor(upstream: McpUpstream, sessionId?: string): UpstreamTransport {
  const headers: Record<string, string> =
    upstream.token === undefined ? {} : { authorization: `Bearer ${upstream.token}` };
  return new UpstreamTransport(new URL(upstream.url), {
    requestInit: { headers },
    ...(sessionId === undefined ? {} : { sessionId }),
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      reconnectionDelayGrowFactor: 1,
    },
  });
}

export async function withUpstream<T>(
  upstream: McpUpstream,
  timeoutMs: number,
  link: UpstreamLink,
  use: (client: Client) => Promise<T>,
): Promise<T> {
  if (upstream.transport !== 'streamable-http') {
    throw new UpstreamUnavailable(
      upstream.name,
      `its transport ${upstream.transport} is not spoken by this gateway yet.`,
    );
  }
  const connecting = AbortSignal.timeout(timeoutMs);
  const attempt = async (resume: UpstreamSession | undefined): Promise<T> => {
    const transport = transportFor(upstream, resume?.sessionId);
    const client = new Client(GATEWAY_CLIENT);
    try {
      if (resume === undefined) {
        await client
          .connect(transport, { timeout: timeoutMs, signal: connecting })
          .catch((error: unknown) => {
            throw new UpstreamUnavailable(
              upstream.name,
              connecting.aborted ? `no answer within ${timeoutMs} ms.` : reasonOf(error),
            );
          });
        if (transport.sessionId !== undefined && transport.protocolVersion !== undefined)
          await link.keep({
            sessionId: transport.sessionId,
            protocolVersion: transport.protocolVersion,
          });
      } else {
        transport.setProtocolVersion(resume.protocolVersion);
        await client.connect(transport);
      }
      return await use(client);
    } finally {
      await transport.drain(timeoutMs);
      await client.close().catch(() => undefined);
    }
  };
  try {
    try {
      return await attempt(link.session);
    } catch (error) {
      // The upstream forgot its session (expired, restarted): initialize anew, once.
      if (link.session !== undefined && error instanceof StreamableHTTPError && error.code === 404)
        return await attempt(undefined);
      throw error;
    }
  } catch (error) {
    if (error instanceof McpError && !isTransportFailure(error)) throw error;
    throw new UpstreamUnavailable(upstream.name, reasonOf(error));
  }
}

/** Ends the gateway's session with an upstream (HTTP DELETE), waiting at most `timeoutMs`. */
export async function endUpstreamSession(
  upstream: McpUpstream,
  session: UpstreamSession,
  timeoutMs: number,
): Promise<void> {
  const transport = transportFor(upstream, session.sessionId);
  transport.setProtocolVersion(session.protocolVersion);
  await transport.start();
  await waitAtMost(
    transport.terminateSession().catch(() => undefined),
    timeoutMs,
  );
  await transport.close();
}

/** A timeout or a closed connection is the upstream's unavailability, not its answer. */
function isTransportFailure(error: McpError): boolean {
  const failures: readonly number[] = [ErrorCode.RequestTimeout, ErrorCode.ConnectionClosed];
  return failures.includes(error.code);
}

function reasonOf(error: unknown): string {
  const timedOut: number = ErrorCode.RequestTimeout;
  if (error instanceof McpError && error.code === timedOut) return 'no answer in time.';
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
