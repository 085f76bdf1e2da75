import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../engine/services.ts';
import { createVoiceTickets } from '../engine/voice/tickets.ts';
import { createXrMetrics } from '../engine/xr/metrics.ts';
import { XrSessions } from '../engine/xr/sessions.ts';
import { principalOf } from './auth.ts';
import { wsSettings } from './ws-settings.ts';
import { socketTicketRoute } from './socket-ticket.ts';
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
  const sessions = new XrSessions(
    services.redis,
    () => services.config.current?.gateway.budgets.keyPrefix ?? '',
  );
  app.addHook('onClose', () => {
    sessions.clear();
  });

  await app.register(xrStreamPlugin, { services, metrics, settings });

  socketTicketRoute(app, {
    name: 'XR',
    base: '/api/v1/xr',
    tag: 'xr',
    protocol: XR_PROTOCOL,
    tickets,
  });

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
