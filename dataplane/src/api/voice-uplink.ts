import type { Services } from '../engine/services.ts';
import type { ErrorCode } from '../core/error-codes.ts';
import {
  errorFrame,
  parseUplink,
  type DownlinkFrame,
  type UplinkFrame,
} from '../engine/voice/frames.ts';
import type { VoiceMetrics } from '../engine/voice/metrics.ts';
import { createOpusStream, type OpusStream } from '../engine/voice/opus.ts';
import { VoiceSession } from '../engine/voice/session.ts';
import type { LiveTranscriptSettings } from '../engine/voice/stt-config.ts';
import type { Stt } from '../engine/voice/stt.ts';
import type { Tts } from '../engine/voice/tts.ts';
import { createVad } from '../engine/voice/vad.ts';
import { pcm16ToFloat } from '../engine/voice/wav.ts';
import { toApiError } from '../errors/to-api-error.ts';
import type { Principal } from '../security/principal.ts';

/** What a voice session needs from the gateway, whichever transport carries it. */
export interface VoiceSessionOptions {
  services: Services;
  metrics: VoiceMetrics;
  stt: Stt | undefined;
  tts: Tts | undefined;
  model: string | undefined;
  live: LiveTranscriptSettings;
  principal: Principal;
  sessionId: string;
}

/** A transport's side of a voice session: its one writer and its life. */
export interface VoiceTransport {
  send(frame: DownlinkFrame): void;
  /** Aborted when the transport goes away; the session is then closed. */
  closed: AbortSignal;
  /** Larger uplink messages get a PAYLOAD_TOO_LARGE error frame. */
  maxFrameBytes: number;
}

/** Reads a transport's uplink messages into its voice session. */
export interface VoiceUplink {
  /**
   * One uplink message (a WebSocket message, or one frame of a long-poll batch): checked
   * against the frame contract (a broken one gets an `error` frame naming the field, and the
   * session goes on), then handed to the session; audio is decoded in arrival order.
   */
  read(bytes: Buffer, isBinary: boolean, arrivedAt: number): void;
}

/**
 * The one place uplink frames are read, for the voice socket (voice-socket.ts) and its
 * long-poll form (voice-poll.ts): a voice session bound to the transport, the size check,
 * `parseUplink`, the dispatch of audio (pcm16, or Opus through a decoder made on the first Opus
 * frame) and control frames, and the error frames of what is refused. When the transport's
 * `closed` aborts, the session is closed and the decoder freed.
 */
export function startVoiceUplink(
  options: VoiceSessionOptions,
  transport: VoiceTransport,
): VoiceUplink {
  const { sessionId } = options;
  const session = new VoiceSession({
    services: options.services,
    metrics: options.metrics,
    principal: options.principal,
    sessionId,
    send: (frame) => {
      transport.send(frame);
    },
    closed: transport.closed,
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
    transport.send(errorFrame(sessionId, code, message, extra));
  };
  let decoding: Promise<void> = Promise.resolve();
  let opus: Promise<OpusStream> | undefined;
  transport.closed.addEventListener('abort', () => {
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

  return {
    read(bytes, isBinary, arrivedAt) {
      if (bytes.length > transport.maxFrameBytes) {
        refuse('PAYLOAD_TOO_LARGE', `A frame may hold at most ${transport.maxFrameBytes} bytes.`, {
          field: '',
          details: { limit_bytes: transport.maxFrameBytes },
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
    },
  };
}
