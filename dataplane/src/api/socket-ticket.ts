import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { VoiceTickets } from '../engine/voice/tickets.ts';
import { principalOf } from './auth.ts';
import { errorResponses } from './schemas.ts';
import { TICKET_PREFIX } from './ws-upgrade.ts';

/**
 * `POST <base>/session`: a single-use 30 s ticket that opens one socket at `<base>/ws` for a
 * browser, which cannot set an Authorization header on a WebSocket (the voice and XR sockets).
 */
export function socketTicketRoute(
  app: FastifyInstance,
  socket: { name: string; base: string; tag: string; protocol: string; tickets: VoiceTickets },
): void {
  const url = `${socket.base}/ws`;
  app.post(
    `${socket.base}/session`,
    {
      config: { scope: 'inference:stream' },
      schema: {
        summary: `Issue a single-use 30 s ticket that opens one ${socket.name} socket (for browsers).`,
        description: `Offer it as the subprotocol \`${TICKET_PREFIX}<ticket>\` beside \`${socket.protocol}\` when opening \`GET ${url}\`.`,
        tags: [socket.tag],
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
      const { ticket, expiresAt } = await socket.tickets.issue(principalOf(request));
      return {
        ticket,
        expires_at: new Date(expiresAt).toISOString(),
        protocol: socket.protocol,
        url,
      };
    },
  );
}
