import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { randomUUID } from 'node:crypto';
import { healthPlugin, type HealthOptions } from './api/health.ts';
import { installErrorHandling } from './errors/http.ts';

export interface AppOptions extends HealthOptions {
  /** Pino options, or false for none. @default false */
  logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body in bytes. @default 1 MiB */
  bodyLimit?: number;
}

/** Builds the dataplane's fastify instance; tests call this and use `inject` or `listen`. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  installErrorHandling(app);
  await app.register(healthPlugin, { readiness: options.readiness });
  return app;
}
