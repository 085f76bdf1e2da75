import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyRequest, RouteShorthandOptions } from 'fastify';
import type { IncomingMessage } from 'node:http';
import type { VoiceTickets } from '../engine/voice/tickets.ts';
import { ApiError } from '../errors/api-error.ts';
import type { WsSettings } from './ws-settings.ts';

export const TICKET_PREFIX = 'ticket.';
const requestIds = new WeakMap<IncomingMessage, string>();

/**
 * Registers the WebSocket server once for every socket route (the voice socket, the XR
 * socket): frames up to 4 × `maxFrameBytes` are read (larger ones close with 1009), the first
 * subprotocol of `protocols` a client offers is selected (a ticket is never echoed), and the
 * 101 answer carries the session's `x-request-id`.
 */
export async function installWebSockets(
  app: FastifyInstance,
  settings: WsSettings,
  protocols: readonly string[],
): Promise<void> {
  await app.register(websocket, {
    options: {
      maxPayload: settings.maxFrameBytes * 4,
      handleProtocols: (offered) => protocols.find((protocol) => offered.has(protocol)) ?? false,
    },
  });
  app.websocketServer.on('headers', (headers, request) => {
    const id = requestIds.get(request);
    if (id !== undefined) headers.push(`x-request-id: ${id}`);
  });
}

/**
 * The options of a socket route: the `inference:stream` scope, checked at the upgrade from
 * `Authorization` or from a single-use ticket offered as the subprotocol `ticket.<ticket>`
 * (401 `invalid_ticket` when unknown, used or expired), and the `Origin` allowlist (403
 * `origin_not_allowed`). `name` says which socket, in the refusals' messages.
 */
export function socketRouteOptions(
  settings: WsSettings,
  tickets: VoiceTickets,
  name: string,
): RouteShorthandOptions & { websocket: true } {
  const credential = async (request: FastifyRequest) => {
    const ticket = request.headers['sec-websocket-protocol']
      ?.split(',')
      .map((protocol) => protocol.trim())
      .find((protocol) => protocol.startsWith(TICKET_PREFIX))
      ?.slice(TICKET_PREFIX.length);
    if (ticket === undefined) return undefined;
    const principal = await tickets.redeem(ticket);
    if (principal === undefined)
      throw new ApiError('UNAUTHENTICATED', `The ${name} ticket is unknown, used or expired.`, {
        details: { reason: 'invalid_ticket' },
      });
    return principal;
  };
  return {
    websocket: true,
    config: { scope: 'inference:stream', credential },
    onRequest: async (request) => {
      const origin = request.headers.origin;
      if (origin !== undefined && !settings.allowedOrigins.has(origin))
        throw new ApiError('FORBIDDEN', `This origin may not open the ${name} socket.`, {
          details: { reason: 'origin_not_allowed' },
        });
      requestIds.set(request.raw, request.id);
    },
    // A refused upgrade was answered in HTTP on the raw socket, which nothing else ends.
    onResponse: async (request) => {
      if (request.headers.upgrade !== undefined) request.raw.socket.destroy();
    },
  };
}
