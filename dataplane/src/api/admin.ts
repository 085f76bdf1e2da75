import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../engine/services.ts';

/** Operational endpoints without authentication: metrics (no content, no secrets) and docs. */
export const adminPlugin: FastifyPluginAsync<{ services: Services }> = async (
  app,
  { services },
) => {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const { circuitOpen } = services.metrics;
    circuitOpen.reset();
    const level = { closed: 0, half_open: 1, open: 2 } as const;
    for (const [target, state] of services.router.circuitStates())
      circuitOpen.set({ target }, level[state]);
    return reply
      .type(services.metrics.registry.contentType)
      .send(await services.metrics.registry.metrics());
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
};
