/**
 * The gateway's session rules (Streamable HTTP, "Session Management"): initialize issues a new
 * `Mcp-Session-Id` bound to the caller; every later request must carry it (400 without), name
 * a session of this gateway and this caller (404 otherwise: unknown, expired, ended, or
 * someone else's, told apart for nobody) and, when it sends `MCP-Protocol-Version`, the
 * revision negotiated at initialize (400 otherwise).
 */
import { randomUUID } from 'node:crypto';
import {
  InitializeRequestSchema,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { ApiError } from '../../errors/api-error.ts';
import type { Principal } from '../../security/principal.ts';
import type { McpSession, McpSessionStore } from './session-store.ts';

export interface SessionRequest {
  gateway: string;
  principal: Principal;
  sessionId: string | undefined;
  protocolVersion: string | undefined;
}

/** Starts a session for an initialize request; its id goes back in `Mcp-Session-Id`. */
export async function startSession(
  store: McpSessionStore,
  at: SessionRequest,
  body: unknown,
): Promise<string | undefined> {
  const parsed = (Array.isArray(body) ? (body as unknown[]) : [body])
    .map((message) => InitializeRequestSchema.safeParse(message))
    .find((result) => result.success);
  // Not a valid initialize: the MCP server answers its error, and no session starts.
  if (parsed?.data === undefined) return undefined;
  if (at.sessionId !== undefined) {
    throw new ApiError(
      'BAD_REQUEST',
      'initialize starts a new MCP session: send it without Mcp-Session-Id.',
    );
  }
  const { params } = parsed.data;
  const id = randomUUID();
  await store.create(id, {
    gateway: at.gateway,
    tenant: at.principal.tenant,
    principal: at.principal.subject,
    // The SDK server's rule: the client's revision when supported, else its latest.
    protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(params.protocolVersion)
      ? params.protocolVersion
      : LATEST_PROTOCOL_VERSION,
    clientCapabilities: params.capabilities,
    clientInfo: params.clientInfo,
  });
  return id;
}

/** The caller's session for a request after initialize. */
export async function resumeSession(
  store: McpSessionStore,
  at: SessionRequest,
): Promise<{ id: string; session: McpSession }> {
  if (at.sessionId === undefined) {
    throw new ApiError(
      'BAD_REQUEST',
      'This MCP endpoint needs the Mcp-Session-Id that initialize issued.',
    );
  }
  const session = await store.get(at.sessionId);
  if (
    session === undefined ||
    session.gateway !== at.gateway ||
    session.tenant !== at.principal.tenant ||
    session.principal !== at.principal.subject
  ) {
    throw new ApiError('NOT_FOUND', 'No such MCP session: initialize a new one.');
  }
  if (at.protocolVersion !== undefined && at.protocolVersion !== session.protocolVersion) {
    throw new ApiError(
      'BAD_REQUEST',
      `MCP-Protocol-Version ${at.protocolVersion} is not the session's ${session.protocolVersion}.`,
    );
  }
  return { id: at.sessionId, session };
}
