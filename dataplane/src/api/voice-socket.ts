import { performance } from 'node:perf_hooks';
import type { WebSocket } from '@fastify/websocket';
import type { RawData } from 'ws';
import { startVoiceUplink, type VoiceSessionOptions } from './voice-uplink.ts';
import { WsChannel } from './ws-channel.ts';
import type { WsSettings } from './ws-settings.ts';

export interface VoiceSocketOptions extends VoiceSessionOptions {
  settings: WsSettings;
}

/**
 * One voice socket after its upgrade: every uplink message goes through the voice uplink
 * (voice-uplink.ts: checked against the frame contract, a broken one answered with an `error`
 * frame naming the field while the session goes on, then handed to the voice session), whose
 * frames go out through the channel.
 */
export function serveVoiceSocket(socket: WebSocket, options: VoiceSocketOptions): void {
  const { settings, sessionId } = options;
  const channel = new WsChannel(socket, sessionId, settings, options.services.draining);
  const uplink = startVoiceUplink(options, {
    send: (frame) => {
      channel.send(frame);
    },
    closed: channel.closed,
    maxFrameBytes: settings.maxFrameBytes,
  });
  socket.on('message', (data: RawData, isBinary: boolean) => {
    const arrivedAt = performance.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    uplink.read(bytes, isBinary, arrivedAt);
  });
  options.metrics.sockets.inc();
  channel.closed.addEventListener('abort', () => {
    options.metrics.sockets.dec();
  });
}
