/**
 * The Streamable HTTP transport's DNS-rebinding guard (MCP 2025-11-25, Security Warning): a
 * request that carries an `Origin` must come from an allowed one, else 403. Allowed: the
 * gateway's own origin as the caller addressed it (same-origin), and those `mcp.yaml`
 * `allowedOrigins` lists. A request without `Origin` (every non-browser client: the SDKs, curl)
 * passes; a browser always sends one on a cross-origin POST, which is what an attacker's page
 * would be. The bearer token stays required either way.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.ts';

export function originAllowed(request: FastifyRequest, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (origin === `${request.protocol}://${request.host}`) return true;
  return allowed.includes(origin);
}

/** Refuses a request from an Origin that is not allowed (FORBIDDEN, naming the origin). */
export function requireOrigin(request: FastifyRequest, allowed: readonly string[]): void {
  if (originAllowed(request, allowed)) return;
  throw new ApiError(
    'FORBIDDEN',
    `Origin ${String(request.headers.origin).slice(0, 200)} may not call this MCP endpoint (mcp.yaml allowedOrigins).`,
  );
}
