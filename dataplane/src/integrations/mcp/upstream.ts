/**
 * One use of an upstream MCP server with the gateway's own credential: connect, continuing the
 * gateway session's upstream session when there is one (no new initialize) or initializing
 * and keeping the session the upstream issues, run the request, close the connection (the
 * upstream session stays). Streamable HTTP upstreams, and legacy HTTP+SSE ones (initialized
 * for each use). Connecting is bounded by the gateway's `timeoutMs`, so an upstream
 * that is down or silent is a clear `McpError` within it, never a hang; the request itself is
 * bounded by the deadline its caller gives.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpUpstream } from '../../config/mcp.ts';
import { waitAtMost } from '../../core/wait.ts';
import type { ApiError } from '../../errors/api-error.ts';
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

/** A refusal of the gateway's own (budget, safety), as the caller's SDK reads it. */
export function gatewayRefusal(error: ApiError): McpError {
  const refused = new McpError(ErrorCode.InvalidRequest, error.message, {
    code: error.code,
    ...(error.retryAfterS === undefined ? {} : { retry_after_s: error.retryAfterS }),
    ...(error.details === undefined ? {} : { details: error.details }),
  });
  refused.message = error.message;
  return refused;
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
 * Makes `transport` able to wait for the messages it is still sending: a call that is
 * cancelled sends `notifications/cancelled` upstream without waiting, and closing the
 * transport at once would abort that POST.
 */
function draining<T extends Transport>(transport: T): T & { drain(ms: number): Promise<void> } {
  const sending = new Set<Promise<void>>();
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    const sent = send(message, options);
    sending.add(sent);
    void sent.catch(() => undefined).finally(() => sending.delete(sent));
    return sent;
  };
  return Object.assign(transport, {
    drain: async (ms: number) => {
      if (sending.size > 0) await waitAtMost(Promise.allSettled(sending), ms);
    },
  });
}

const headersOf = (upstream: McpUpstream): Record<string, string> =>
  upstream.token === undefined ? {} : { authorization: `Bearer ${upstream.token}` };

function streamableTransport(upstream: McpUpstream, sessionId?: string) {
  return draining(
    new StreamableHTTPClientTransport(new URL(upstream.url), {
      requestInit: { headers: headersOf(upstream) },
      ...(sessionId === undefined ? {} : { sessionId }),
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 0,
        maxReconnectionDelay: 0,
        reconnectionDelayGrowFactor: 1,
      },
    }),
  );
}

/**
 * The legacy HTTP+SSE transport (revision 2024-11-05): its session lives as long as its GET
 * stream, so it is opened and initialized anew for each use and never kept.
 */
function sseTransport(upstream: McpUpstream) {
  return draining(
    // Deprecated in favour of Streamable HTTP; still the way to reach an SSE-only server.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    new SSEClientTransport(new URL(upstream.url), {
      requestInit: { headers: headersOf(upstream) },
    }),
  );
}

/** `promise`, or a rejection once `signal` aborts (the SSE transport's start has no timeout). */
function within<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      reject(signal.reason as Error);
    };
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', abort);
    });
  });
}

export async function withUpstream<T>(
  upstream: McpUpstream,
  timeoutMs: number,
  link: UpstreamLink,
  /** `lost` aborts when the transport fails mid-request (the upstream went away). */
  use: (client: Client, lost: AbortSignal) => Promise<T>,
): Promise<T> {
  const connecting = AbortSignal.timeout(timeoutMs);
  const attempt = async (resume: UpstreamSession | undefined): Promise<T> => {
    const sse = upstream.transport === 'sse';
    const transport = sse
      ? sseTransport(upstream)
      : streamableTransport(upstream, resume?.sessionId);
    const client = new Client(GATEWAY_CLIENT);
    const lost = new AbortController();
    try {
      if (resume === undefined || sse) {
        await within(
          client.connect(transport, { timeout: timeoutMs, signal: connecting }),
          connecting,
        ).catch((error: unknown) => {
          throw new UpstreamUnavailable(
            upstream.name,
            connecting.aborted ? `no answer within ${timeoutMs} ms.` : reasonOf(error),
          );
        });
        if (
          transport instanceof StreamableHTTPClientTransport &&
          transport.sessionId !== undefined &&
          transport.protocolVersion !== undefined
        )
          await link.keep({
            sessionId: transport.sessionId,
            protocolVersion: transport.protocolVersion,
          });
      } else {
        transport.setProtocolVersion(resume.protocolVersion);
        await client.connect(transport);
      }
      // A stream that breaks mid-request rejects nothing by itself: the SDK tells onerror.
      // An HTTP error answer to a POST rejects its own request, and is told there too.
      client.onerror = (error) => {
        if (!(error instanceof StreamableHTTPError)) lost.abort(error);
      };
      try {
        return await use(client, lost.signal);
      } catch (error) {
        if (lost.signal.aborted)
          throw new UpstreamUnavailable(
            upstream.name,
            `the connection was lost: ${reasonOf(lost.signal.reason)}`,
          );
        throw error;
      }
    } finally {
      await transport.drain(timeoutMs);
      await client.close().catch(() => undefined);
    }
  };
  try {
    try {
      return await attempt(upstream.transport === 'sse' ? undefined : link.session);
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
  const transport = streamableTransport(upstream, session.sessionId);
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
  return `${message.replace(/\.+$/, '')}.`;
}
