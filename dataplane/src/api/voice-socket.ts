import { performance } from 'node:perf_hooks';
import type { WebSocket } from '@fastify/websocket';
import type { RawData } from 'ws';
import type { Services } from '../engine/services.ts';
import { errorFrame, parseUplink, type UplinkFrame } from '../engine/voice/frames.ts';
import type { VoiceMetrics } from '../engine/voice/metrics.ts';
import { VoiceSession } from '../engine/voice/session.ts';
import type { Stt } from '../engine/voice/stt.ts';
import type { LiveTranscriptSettings } from '../engine/voice/stt-config.ts';
import type { Tts } from '../engine/voice/tts.ts';
import { createOpusStream, type OpusStream } from '../engine/voice/opus.ts';
import { createVad } from '../engine/voice/vad.ts';
import { pcm16ToFloat } from '../engine/voice/wav.ts';
import type { ErrorCode } from '../core/error-codes.ts';
import { toApiError } from '../errors/to-api-error.ts';
import type { Principal } from '../security/principal.ts';
import { WsChannel } from './ws-channel.ts';
import type { WsSettings } from './ws-settings.ts';

export interface VoiceSocketOptions {
  services: Services;
  settings: WsSettings;
  metrics: VoiceMetrics;
  stt: Stt | undefined;
  tts: Tts | undefined;
  model: string | undefined;
  live: LiveTranscriptSettings;
  principal: Principal;
  sessionId: string;
}

/**
 * One voice socket after its upgrade: every uplink message is checked against the frame
 * contract (a broken one gets an `error` frame naming the field, and the session goes on),
 * then handed to the voice session, whose frames go out through the channel.
 */
export function serveVoiceSocket(socket: WebSocket, options: VoiceSocketOptions): void {
  const { settings, sessionId } = options;
  const channel = new WsChannel(socket, sessionId, settings, options.services.draining);
  const session = new VoiceSession({
    services: options.services,
    metrics: options.metrics,
    principal: options.principal,
    sessionId,
    send: (frame) => {
      channel.send(frame);
    },
    closed: channel.closed,
    stt: options.stt,
    tts: options.tts,
    model: options.model,
    live: options.live,
    vad: createVad,
  });
  const refuse = (
    code: ErrorCode,
    message: string,
    extra: { field?: string; seq?: number; details?: Record<string, unknown> } = {},
  ) => {
    channel.send(errorFrame(sessionId, code, message, extra));
  };

  socket.on('message', (data: RawData, isBinary: boolean) => {
    const arrivedAt = performance.now();
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes.length > settings.maxFrameBytes) {
      refuse('PAYLOAD_TOO_LARGE', `A frame may hold at most ${settings.maxFrameBytes} bytes.`, {
        field: '',
        details: { limit_bytes: settings.maxFrameBytes },
      });
      return;
    }
    if (isBinary) {
      refuse('BAD_REQUEST', 'Frames are JSON text messages, not binary ones.', { field: '' });
      return;
    }
    const frame = parseUplink(bytes.toString('utf8'));
    if ('field' in frame) {
      const { field, message, seq } = frame;
      refuse('BAD_REQUEST', message, { field, ...(seq === undefined ? {} : { seq }) });
      return;
    }
    dispatch(frame, arrivedAt);
  });
  // Audio is decoded in arrival order; the Opus decoder is made on the first Opus frame.
  let decoding: Promise<void> = Promise.resolve();
  let opus: Promise<OpusStream> | undefined;
  options.metrics.sockets.inc();
  channel.closed.addEventListener('abort', () => {
    options.metrics.sockets.dec();
    void session.close();
    void decoding.then(async () => (await opus)?.free());
  });

  function pcm16(bytes: Buffer): Float32Array | undefined {
    return bytes.length % 2 === 0 ? pcm16ToFloat(bytes) : undefined;
  }

  function dispatch(frame: UplinkFrame, arrivedAt: number): void {
    const seq = frame.seq;
    if (frame.type === 'audio') {
      const bytes = Buffer.from(frame.payload, 'base64');
      const codec = frame.codec;
      decoding = decoding
        .then(async () => {
          const samples =
            codec === 'pcm16' ? pcm16(bytes) : (await (opus ??= createOpusStream())).decode(bytes);
          if (samples === undefined)
            refuse('BAD_REQUEST', `The payload is not ${codec} audio.`, { field: '/payload', seq });
          else session.audio(samples, arrivedAt);
        })
        .catch((error: unknown) => {
          const { code, message } = toApiError(error).toBody().error;
          refuse(code, message, { field: '/payload', seq });
        });
      return;
    }
    const payload = frame.payload;
    const work =
      payload.action === 'text'
        ? session.text(payload.text)
        : payload.action === 'tts'
          ? Promise.resolve().then(() => {
              session.speak(payload.voice);
            })
          : session.resume(payload.resume_token, payload.after);
    work.catch((error: unknown) => {
      const { code, message, details } = toApiError(error).toBody().error;
      refuse(code, message, {
        seq,
        field: '/payload',
        ...(details === undefined ? {} : { details }),
      });
    });
  }
}
