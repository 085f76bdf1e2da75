import type { FastifyInstance } from 'fastify';
import type { Scope } from '../security/authz.ts';

/** What a route requires of its caller, as the route declares it (`config.scope`). */
export interface RouteSecurity {
  readonly method: string;
  readonly url: string;
  /** The token scope; undefined for public routes (health, metrics, docs). */
  readonly scope: Scope | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route's security requirement, in registration order (docs/security.md's table). */
    routeSecurity: RouteSecurity[];
  }
}

/** Records the security requirement of every route registered after this call. */
export function collectRouteSecurity(app: FastifyInstance): void {
  const routes: RouteSecurity[] = [];
  app.decorate('routeSecurity', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD' && route.exposeHeadRoute !== false) continue;
      routes.push({ method, url: route.url, scope: route.config?.scope });
    }
  });
}
