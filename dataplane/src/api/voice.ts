import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../engine/services.ts';
import { createVoiceMetrics } from '../engine/voice/metrics.ts';
import { liveTranscriptSettings, sttFromEnv } from '../engine/voice/stt-config.ts';
import { createVoiceTickets } from '../engine/voice/tickets.ts';
import { ttsFromEnv } from '../engine/voice/tts.ts';
import { principalOf } from './auth.ts';
import { voicePollPlugin } from './voice-poll.ts';
import { pollSettings, VoicePolls } from './voice-poll-sessions.ts';
import { serveVoiceSocket } from './voice-socket.ts';
import { voiceStreamPlugin } from './voice-stream.ts';
import { wsSettings } from './ws-settings.ts';
import { socketTicketRoute } from './socket-ticket.ts';
import { socketRouteOptions } from './ws-upgrade.ts';

/** The subprotocol the voice socket speaks; a browser offers it beside `ticket.<ticket>`. */
export const VOICE_PROTOCOL = 'inference.voice.v1';

/**
 * The voice surface (docs/voice.md): `POST /api/v1/voice/session` issues a browser's ticket,
 * `POST /api/v1/voice:stream` answers one recorded utterance as SSE, and
 * `GET /api/v1/voice/ws` is the voice socket, authenticated at the upgrade by an
 * `Authorization` header or a ticket in `Sec-WebSocket-Protocol`, its `Origin` checked against
 * `VOICE_ALLOWED_ORIGINS` (ws-upgrade.ts, which app.ts installs once for every socket);
 * `/api/v1/voice/polls` is the same session over HTTP long-poll (voice-poll.ts).
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
  const live = liveTranscriptSettings(env);
  await app.register(voiceStreamPlugin, { services, metrics, stt, model });
  await app.register(voicePollPlugin, {
    polls: new VoicePolls(pollSettings(env, settings), services.draining, (count) => {
      metrics.pollSessions.set(count);
    }),
    session: { services, metrics, stt, tts, model, live },
  });

  socketTicketRoute(app, {
    name: 'voice',
    base: '/api/v1/voice',
    tag: 'voice',
    protocol: VOICE_PROTOCOL,
    tickets,
  });

  app.get('/api/v1/voice/ws', socketRouteOptions(settings, tickets, 'voice'), (socket, request) => {
    serveVoiceSocket(socket, {
      services,
      settings,
      metrics,
      stt,
      tts,
      model,
      live,
      principal: principalOf(request),
      sessionId: request.id,
    });
  });
};
