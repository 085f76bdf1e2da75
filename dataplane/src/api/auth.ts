import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createAuthenticator, type Authenticator } from '../security/authn.ts';
import { requireScope, type Scope } from '../security/authz.ts';
import type { Principal } from '../security/principal.ts';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import { ApiError } from '../errors/api-error.ts';
import type { Surface } from '../stages/context.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route requires; routes without one are public (health, metrics, docs). */
    scope?: Scope;
    /** The pipeline surface a route serves: its refusals before the pipeline get receipts too. */
    surface?: Surface;
    /**
     * A credential the route accepts besides the Authorization header (the voice socket's
     * ticket): its principal, undefined when the request carries none, or UNAUTHENTICATED.
     */
    credential?: (request: FastifyRequest) => Promise<Principal | undefined>;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The authenticated caller of a route that declares a scope. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined)
    throw new ApiError('UNAUTHENTICATED', 'Authorization header is missing.');
  return request.principal;
}

/**
 * Authenticates every route that declares `config.scope`, before the body is parsed. The
 * authenticator (and its verification cache) is rebuilt when the config snapshot changes.
 */
export function installAuth(app: FastifyInstance, config: () => ConfigSnapshot | undefined): void {
  let built: { checksum: string; authenticator: Authenticator } | undefined;
  const authenticator = (snapshot: ConfigSnapshot): Authenticator => {
    if (built?.checksum !== snapshot.checksum) {
      built = {
        checksum: snapshot.checksum,
        authenticator: createAuthenticator({
          jwks: snapshot.jwks,
          issuer: snapshot.gateway.auth.issuer,
          audience: snapshot.gateway.auth.audience,
          tenantClaim: snapshot.gateway.auth.tenantClaim,
          agentClaim: snapshot.gateway.agents.claim,
        }),
      };
    }
    return built.authenticator;
  };

  app.decorateRequest('principal', undefined);
  app.addHook('onRequest', async (request) => {
    const scope = request.routeOptions.config.scope;
    if (scope === undefined) return;
    const snapshot = config();
    if (snapshot === undefined)
      throw new ApiError('NOT_READY', 'No configuration is loaded yet.', { retryAfterS: 1 });
    const principal =
      (await request.routeOptions.config.credential?.(request)) ??
      (await authenticator(snapshot).authenticate(authorizationOf(request)));
    const client = request.clientCertificate?.identity;
    // Known before the scope check, so that the refusal's receipt names the tenant.
    request.principal = client === undefined ? principal : Object.freeze({ ...principal, client });
    requireScope(principal, scope);
  });
}

/**
 * The request's credentials as an Authorization value: its own, else an `x-api-key` (how the
 * Anthropic clients send their key) as a bearer token.
 */
function authorizationOf(request: FastifyRequest): string | undefined {
  const key = request.headers['x-api-key'];
  if (request.headers.authorization !== undefined || typeof key !== 'string')
    return request.headers.authorization;
  return `Bearer ${key}`;
}
