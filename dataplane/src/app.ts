import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import { randomUUID } from 'node:crypto';
import { adminPlugin } from './api/admin.ts';
import { auditPlugin } from './api/audit.ts';
import { auditRefusal } from './api/audit-refusal.ts';
import { openapi30 } from './api/openapi-schema.ts';
import { batchPlugin } from './api/batch.ts';
import { installCors } from './api/cors.ts';
import { installAuth } from './api/auth.ts';
import { healthPlugin } from './api/health.ts';
import { inferencePlugin } from './api/inference.ts';
import { messagesPlugin } from './api/messages.ts';
import { openaiPlugin } from './api/openai.ts';
import { responsesPlugin } from './api/responses.ts';
import { readiness } from './api/readiness.ts';
import { usagePlugin } from './api/usage.ts';
import { VOICE_PROTOCOL, voicePlugin } from './api/voice.ts';
import { wsSettings } from './api/ws-settings.ts';
import { installWebSockets } from './api/ws-upgrade.ts';
import { XR_PROTOCOL, xrPlugin } from './api/xr.ts';
import { installErrorHandling } from './api/error-handler.ts';
import { installTracing } from './api/tracing.ts';
import { installClientCertificates } from './api/client-certificates.ts';
import { collectRouteSecurity } from './api/route-security.ts';
import { httpsOptions, installTlsListener, withTlsReadiness } from './api/tls-listener.ts';
import { createServices, type Services, type ServicesOptions } from './engine/services.ts';
import { mcpPlugin } from './integrations/mcp/plugin.ts';

export interface AppOptions extends ServicesOptions {
  /** Pino options, or false for none. @default false */
  logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body in bytes. @default 1 MiB */
  bodyLimit?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

/** Builds the dataplane's fastify instance; tests call this and use `inject` or `listen`. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const services = await createServices(options);
  const https = httpsOptions(services.config.current);
  // Typed as plain HTTP: the routes see no difference, and the TLS listener reads the socket.
  const app = Fastify({
    ...(https === undefined ? {} : { https }),
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // Above every path parameter's schema maxLength, percent-encoded (a tenant name: 253
    // characters of up to 12 bytes each), so the schema answers in the vocabulary, not a 414.
    routerOptions: { maxParamLength: 4096 },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }) as unknown as FastifyInstance;
  app.decorate('services', services);
  const tls = installTlsListener(app, services);
  collectRouteSecurity(app);
  // JSON only: a text/plain body is a 415, not a string that fails the schema.
  app.removeContentTypeParser(['text/plain']);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    services.metrics.requests.inc({ route, method: request.method, status: reply.statusCode });
    services.metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });
  // Streams are told to resume elsewhere before the server waits for connections to end.
  app.addHook('preClose', async () => {
    services.drain();
  });
  app.addHook('onClose', () => services.close());
  services.config.on('refused', (error) => {
    app.log.error({ reason: error.message }, 'Refused config reload');
  });
  services.config.on('swapped', (snapshot) => {
    app.log.info({ checksum: snapshot.checksum }, 'Swapped config');
  });
  installErrorHandling(app, auditRefusal(services));
  const env = options.env ?? process.env;
  // Before authentication: a browser's preflight carries no token.
  await installCors(app, env);
  const auth = () => {
    installClientCertificates(app, () => services.config.current, tls);
    installAuth(app, () => services.config.current);
  };
  if (services.tracing === undefined) auth();
  else installTracing(app, services.tracing.tracer, auth);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'inference-service dataplane', version: '0.1.0' },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      security: [{ bearer: [] }],
    },
    transform: ({ schema, url }) => ({ schema: openapi30(schema) as typeof schema, url }),
  });
  await app.register(healthPlugin, {
    readiness: async () => withTlsReadiness(await readiness(services), tls),
  });
  await app.register(adminPlugin, { services });
  await app.register(inferencePlugin, { services });
  await app.register(openaiPlugin, { services });
  await app.register(messagesPlugin, { services });
  await app.register(responsesPlugin, { services });
  await app.register(batchPlugin, { services });
  await app.register(usagePlugin, { services });
  await app.register(auditPlugin, { services });
  await app.register(mcpPlugin, { services });
  await installWebSockets(app, wsSettings(env), [VOICE_PROTOCOL, XR_PROTOCOL]);
  await app.register(voicePlugin, { services, env });
  await app.register(xrPlugin, { services, env });
  return app;
}
