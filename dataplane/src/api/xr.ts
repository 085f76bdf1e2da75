import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../engine/services.ts';
import { createVoiceTickets } from '../engine/voice/tickets.ts';
import { createXrMetrics } from '../engine/xr/metrics.ts';
import { XrSessions } from '../engine/xr/sessions.ts';
import { principalOf } from './auth.ts';
import { errorResponses } from './schemas.ts';
import { wsSettings } from './ws-settings.ts';
import { socketRouteOptions } from './ws-upgrade.ts';
import { serveXrSocket } from './xr-socket.ts';
import { xrSettings } from './xr-settings.ts';
import { xrStreamPlugin } from './xr-stream.ts';

/** The subprotocol the XR socket speaks; a browser offers it beside `ticket.<ticket>`. */
export const XR_PROTOCOL = 'inference.xr.v1';

/**
 * The XR surface (docs/xr.md): `POST /api/v1/xr/session` issues a browser's ticket,
 * `GET /api/v1/xr/ws` is the XR socket (authenticated at the upgrade as the voice socket is,
 * ws-upgrade.ts), `POST /api/v1/xr:stream` answers one utterance in a scene as SSE.
 */
export const xrPlugin: FastifyPluginAsyncTypebox<{
  services: Services;
  env: NodeJS.ProcessEnv;
}> = async (app, { services, env }) => {
  const transport = wsSettings(env);
  const settings = xrSettings(env);
  const tickets = createVoiceTickets(
    services.redis,
    () => services.config.current?.gateway.budgets.keyPrefix ?? '',
    'xr',
  );
  const metrics = createXrMetrics(services.metrics.registry);
  const sessions = new XrSessions();
  app.addHook('onClose', () => {
    sessions.clear();
  });

  await app.register(xrStreamPlugin, { services, metrics, settings });

  app.post(
    '/api/v1/xr/session',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: 'Issue a single-use 30 s ticket that opens one XR socket (for browsers).',
        description: `Offer it as the subprotocol \`ticket.<ticket>\` beside \`${XR_PROTOCOL}\` when opening \`GET /api/v1/xr/ws\`.`,
        tags: ['xr'],
        response: {
          200: Type.Object({
            ticket: Type.String(),
            expires_at: Type.String({ format: 'date-time' }),
            protocol: Type.String(),
            url: Type.String(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { ticket, expiresAt } = await tickets.issue(principalOf(request));
      return {
        ticket,
        expires_at: new Date(expiresAt).toISOString(),
        protocol: XR_PROTOCOL,
        url: '/api/v1/xr/ws',
      };
    },
  );

  app.get('/api/v1/xr/ws', socketRouteOptions(transport, tickets, 'XR'), (socket, request) => {
    serveXrSocket(socket, {
      settings: transport,
      metrics,
      sessions,
      sessionId: request.id,
      draining: services.draining,
      session: {
        services,
        metrics,
        principal: principalOf(request),
        model: settings.model,
        maxAgeMs: settings.maxAgeMs,
        avatar: settings.avatar,
      },
    });
  });
};
