import type { WebSocket } from '@fastify/websocket';
import { performance } from 'node:perf_hooks';
import type { RawData } from 'ws';
import type { ErrorCode } from '../core/error-codes.ts';
import { errorFrame } from '../engine/voice/frames.ts';
import { parseXrUplink, type XrDownlinkFrame, type XrUplinkFrame } from '../engine/xr/frames.ts';
import type { XrMetrics } from '../engine/xr/metrics.ts';
import type { XrSession, XrSessionDeps, XrTransport } from '../engine/xr/session.ts';
import type { XrSessions } from '../engine/xr/sessions.ts';
import { toApiError } from '../errors/to-api-error.ts';
import { WsChannel } from './ws-channel.ts';
import type { WsSettings } from './ws-settings.ts';

/** The `timing` frame's period: the socket's heartbeat, so it is never silent for long. */
export const TIMING_MS = 1000;

export interface XrSocketOptions {
  settings: WsSettings;
  metrics: XrMetrics;
  sessions: XrSessions;
  session: XrSessionDeps;
  sessionId: string;
  draining: AbortSignal;
}

/** The gateway's clock for frame arrival, ms with sub-ms resolution. */
const arrivalClock = () => performance.timeOrigin + performance.now();

/**
 * One XR socket after its upgrade: a new session (or, after a `resume` frame, the kept one it
 * names), a `session` frame with its key, a `timing` frame every second, and every uplink
 * message checked against the frame contract (a broken one gets an `error` frame naming the
 * field, and the session goes on) before the session takes it, in arrival order.
 */
export function serveXrSocket(socket: WebSocket, options: XrSocketOptions): void {
  const { settings, sessionId, sessions, metrics } = options;
  const channel = new WsChannel<XrDownlinkFrame>(socket, sessionId, settings, options.draining);
  const transport: XrTransport = {
    sessionId,
    send: (frame) => {
      channel.send(frame);
    },
    closed: channel.closed,
  };
  let session: XrSession = sessions.create(options.session);
  const announce = (resumed: boolean) => {
    session.attach(transport);
    channel.send({
      type: 'session',
      session_id: sessionId,
      session_key: session.key,
      resumed,
      anchors: session.scene.anchors.size,
    });
  };
  announce(false);
  const timer = setInterval(() => {
    channel.send(session.timingFrame(sessionId));
  }, TIMING_MS);
  metrics.sockets.inc();
  channel.closed.addEventListener('abort', () => {
    clearInterval(timer);
    metrics.sockets.dec();
    session.detach(transport);
    sessions.release(session);
  });

  const refuse = (
    code: ErrorCode,
    message: string,
    extra: { field?: string; details?: Record<string, unknown> } = {},
  ) => {
    channel.send(errorFrame(sessionId, code, message, extra));
  };

  const resume = async (data: Extract<XrUplinkFrame, { type: 'resume' }>['data']) => {
    if (data.session_key !== undefined) {
      const kept = await sessions.take(data.session_key, session.tenant, options.session);
      if (channel.closed.aborted) {
        if (kept !== undefined) sessions.release(kept);
        return;
      }
      if (kept === undefined) {
        refuse('NOT_FOUND', 'No XR session of yours is waiting under this key.', {
          field: '/data/session_key',
          details: { reason: 'unknown_session' },
        });
        return;
      }
      session.detach(transport);
      // The socket's own fresh session is replaced, not left waiting for a resume.
      sessions.discard(session);
      session = kept;
      announce(true);
    }
    if (data.resume_token !== undefined)
      session.resumeAnswer(data.resume_token, data.after).catch((error: unknown) => {
        const { code, message, details } = toApiError(error).toBody().error;
        refuse(code, message, {
          field: '/data/resume_token',
          ...(details === undefined ? {} : { details }),
        });
      });
  };

  /** Whatever arrives while a resume looks for its session waits for it, in arrival order. */
  let queue: Promise<void> | undefined;
  let queued = 0;
  const later = (task: () => Promise<void> | undefined) => {
    queued++;
    queue = (queue ?? Promise.resolve())
      .then(task)
      .catch((error: unknown) => {
        // A resume that failed (Redis, a copy that does not restore) is the client's to hear.
        const { code, message } = toApiError(error).toBody().error;
        refuse(code, message, { field: '/data/session_key' });
      })
      .finally(() => {
        if (--queued === 0) queue = undefined;
      });
  };
  socket.on('message', (data: RawData, isBinary: boolean) => {
    const started = performance.now();
    const arrivalMs = arrivalClock();
    if (queue !== undefined) {
      later(() => take(data, isBinary, started, arrivalMs));
      return;
    }
    const pending = take(data, isBinary, started, arrivalMs);
    if (pending !== undefined) later(() => pending);
  });

  /** One message: a resume that looks for a kept session returns its promise. */
  function take(
    data: RawData,
    isBinary: boolean,
    started: number,
    arrivalMs: number,
  ): Promise<void> | undefined {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (bytes.length > settings.maxFrameBytes) {
      refuse('PAYLOAD_TOO_LARGE', `A frame may hold at most ${settings.maxFrameBytes} bytes.`, {
        field: '',
        details: { limit_bytes: settings.maxFrameBytes },
      });
      return undefined;
    }
    if (isBinary) {
      refuse('BAD_REQUEST', 'Frames are JSON text messages, not binary ones.', { field: '' });
      return undefined;
    }
    const frame = parseXrUplink(bytes.toString('utf8'));
    if ('field' in frame) {
      refuse('BAD_REQUEST', frame.message, { field: frame.field });
      return undefined;
    }
    if (frame.type === 'resume') return resume(frame.data);
    const fault = session.ingest(frame, arrivalMs);
    if (fault !== undefined) refuse('BAD_REQUEST', fault.message, { field: fault.field });
    metrics.processing.observe((performance.now() - started) / 1000);
    return undefined;
  }
}
