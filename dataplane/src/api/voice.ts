import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Services } from '../engine/services.ts';
import { createVoiceMetrics } from '../engine/voice/metrics.ts';
import { sttFromEnv } from '../engine/voice/stt-config.ts';
import { createVoiceTickets } from '../engine/voice/tickets.ts';
import { ttsFromEnv } from '../engine/voice/tts.ts';
import { principalOf } from './auth.ts';
import { errorResponses } from './schemas.ts';
import { serveVoiceSocket } from './voice-socket.ts';
import { voiceStreamPlugin } from './voice-stream.ts';
import { wsSettings } from './ws-settings.ts';
import { socketRouteOptions } from './ws-upgrade.ts';

/** The subprotocol the voice socket speaks; a browser offers it beside `ticket.<ticket>`. */
export const VOICE_PROTOCOL = 'inference.voice.v1';
const TICKET_PREFIX = 'ticket.';

/**
 * The voice surface (docs/voice.md): `POST /api/v1/voice/session` issues a browser's ticket,
 * `POST /api/v1/voice:stream` answers one recorded utterance as SSE, and
 * `GET /api/v1/voice/ws` is the voice socket, authenticated at the upgrade by an
 * `Authorization` header or a ticket in `Sec-WebSocket-Protocol`, its `Origin` checked against
 * `VOICE_ALLOWED_ORIGINS` (ws-upgrade.ts, which app.ts installs once for every socket).
 */
export const voicePlugin: FastifyPluginAsyncTypebox<{
  services: Services;
  env: NodeJS.ProcessEnv;
}> = async (app, { services, env }) => {
  const settings = wsSettings(env);
  const tickets = createVoiceTickets(
    services.redis,
    () => services.config.current?.gateway.budgets.keyPrefix ?? '',
  );
  const metrics = createVoiceMetrics(services.metrics.registry);
  const stt = sttFromEnv(env, () => services.snapshot(), services.router);
  const tts = ttsFromEnv(env, () => services.snapshot(), services.router);
  const model = env['VOICE_MODEL'] === '' ? undefined : env['VOICE_MODEL'];
  await app.register(voiceStreamPlugin, { services, metrics, stt, model });

  app.post(
    '/api/v1/voice/session',
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: 'Issue a single-use 30 s ticket that opens one voice socket (for browsers).',
        description: `Offer it as the subprotocol \`${TICKET_PREFIX}<ticket>\` beside \`${VOICE_PROTOCOL}\` when opening \`GET /api/v1/voice/ws\`.`,
        tags: ['voice'],
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
        protocol: VOICE_PROTOCOL,
        url: '/api/v1/voice/ws',
      };
    },
  );

  app.get('/api/v1/voice/ws', socketRouteOptions(settings, tickets, 'voice'), (socket, request) => {
    serveVoiceSocket(socket, {
      services,
      settings,
      metrics,
      stt,
      tts,
      model,
      principal: principalOf(request),
      sessionId: request.id,
    });
  });
};
