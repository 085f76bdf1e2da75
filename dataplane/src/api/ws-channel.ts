import type { WebSocket } from '@fastify/websocket';
import { errorFrame, type DownlinkFrame } from '../engine/voice/frames.ts';
import type { WsSettings } from './ws-settings.ts';

/** Close codes the gateway uses (RFC 6455 §7.4.1). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  internal: 1011,
  tryAgainLater: 1013,
} as const;

/**
 * The one writer that knows a socket's framing and life (the voice socket's, the XR socket's), as SseStream does for SSE: JSON
 * frames out, a ping every `pingMs` and termination of a peer that missed one (dead peer), a
 * bounded send buffer (a client that stops reading is told with an `error` frame and closed with
 * 1013 once `maxBufferedBytes` are queued), and `closed`, aborted when the socket goes away or
 * the gateway drains.
 */
export class WsChannel<Frame extends object = DownlinkFrame> {
  readonly #socket: WebSocket;
  readonly #settings: WsSettings;
  readonly #closed = new AbortController();
  readonly #ping: NodeJS.Timeout;
  readonly sessionId: string;
  #alive = true;

  constructor(socket: WebSocket, sessionId: string, settings: WsSettings, draining: AbortSignal) {
    this.#socket = socket;
    this.sessionId = sessionId;
    this.#settings = settings;
    socket.on('pong', () => {
      this.#alive = true;
    });
    socket.once('close', this.#onClose);
    this.#ping = setInterval(() => {
      if (!this.#alive) {
        socket.terminate();
        return;
      }
      this.#alive = false;
      socket.ping();
    }, settings.pingMs);
    draining.addEventListener(
      'abort',
      () => {
        this.close(CLOSE.goingAway, 'shutting_down');
      },
      {
        once: true,
        signal: this.#closed.signal,
      },
    );
  }

  /** Aborted when the socket closes (either side) or the gateway starts draining. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /** Sends a frame; a client too far behind gets an error frame and a 1013 close instead. */
  send(frame: Frame): void {
    if (this.#closed.signal.aborted || this.#socket.readyState !== this.#socket.OPEN) return;
    if (this.#socket.bufferedAmount > this.#settings.maxBufferedBytes) {
      this.#socket.send(
        JSON.stringify(
          errorFrame(
            this.sessionId,
            'OVERLOADED',
            'The client does not read its frames fast enough.',
            {
              details: { reason: 'slow_consumer', limit_bytes: this.#settings.maxBufferedBytes },
            },
          ),
        ),
      );
      this.close(CLOSE.tryAgainLater, 'slow_consumer');
      return;
    }
    this.#socket.send(JSON.stringify(frame));
  }

  /**
   * Starts the closing handshake; a peer that does not answer it within `closeGraceMs` (one
   * that stopped reading) is terminated.
   */
  close(code: number, reason: string): void {
    if (this.#closed.signal.aborted) return;
    this.#onClose();
    this.#socket.close(code, reason);
    setTimeout(() => {
      this.#socket.terminate();
    }, this.#settings.closeGraceMs).unref();
  }

  readonly #onClose = (): void => {
    clearInterval(this.#ping);
    this.#closed.abort();
  };
}
