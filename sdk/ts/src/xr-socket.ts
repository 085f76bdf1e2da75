import type { XrDownlinkFrame, XrUplinkFrame } from './generated/xr-frames.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import { openTicketedSocket, Reconnects, type SocketLifeEvent } from './socket-life.ts';
import { Bearer, type TokenSource } from './token.ts';
import { ReplayFilter } from './xr-replay-filter.ts';

export type { XrDownlinkFrame, XrUplinkFrame };

export interface XrSocketOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`; `ws:` or `wss:` follows from it. */
  baseUrl: string;
  token: TokenSource;
  /** Backoff of the reconnects; `maxRetries` is the reconnects in a row before giving up. */
  reconnect?: Partial<RetryPolicy>;
  onEvent: (event: XrEvent) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** What the socket reports: every downlink frame (each answer chunk and action once), its life. */
export type XrEvent =
  | { type: 'open'; reconnect: boolean }
  | { type: 'frame'; frame: XrDownlinkFrame }
  | SocketLifeEvent;

/** The answer being streamed: what a resume names, and the chunks and actions delivered. */
interface Answer {
  streamId: string;
  resumeToken: string;
  /** The newest chunk a frame was delivered of (perhaps not all of its frames). */
  offset: number;
  delivered: ReplayFilter;
}

const PROTOCOL = 'inference.xr.v1';

/**
 * The XR socket of a browser (docs/xr.md), as `VoiceSocket` is the voice one: a ticket from
 * `POST /api/v1/xr/session`, the socket opened with it as a subprotocol; on an unexpected
 * close a new ticket and socket after a backoff, whose first frame is `resume` with the
 * session's `session_key` (the scene, its anchors and frame window, kept 30 s) and, while an
 * answer streamed, its `resume_token` and the chunk before the newest one delivered (a chunk
 * may have been cut between its frames: it comes again, and what was delivered of it is
 * dropped, xr-replay-filter.ts); when the session is no longer kept (an `error` frame on
 * `/data/session_key`), the answer alone by its token, the scene being the caller's to
 * register again. Frames sent while the socket is down are dropped, not queued (stale).
 */
export class XrSocket {
  readonly #options: XrSocketOptions;
  readonly #reconnects: Reconnects;
  readonly #fetch: typeof fetch;
  readonly #bearer: Bearer;
  #socket: WebSocket | undefined;
  #sessionKey: string | undefined;
  #answer: Answer | undefined;
  #stopped = false;

  constructor(options: XrSocketOptions) {
    this.#options = options;
    this.#reconnects = new Reconnects(
      { ...DEFAULT_RETRY, maxRetries: 8, ...options.reconnect },
      options.onEvent,
    );
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#bearer = new Bearer(options.token);
  }

  /** Opens the socket; rejects with the typed error when the gateway refuses it. */
  async open(): Promise<void> {
    this.#stopped = false;
    await this.#connect(false);
  }

  get connected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  send(frame: XrUplinkFrame): void {
    if (this.connected) this.#socket?.send(JSON.stringify(frame));
  }

  close(): void {
    this.#stopped = true;
    this.#socket?.close(1000);
  }

  async #connect(reconnect: boolean): Promise<void> {
    const socket = await openTicketedSocket(
      this.#fetch,
      this.#bearer,
      this.#options.baseUrl,
      'xr',
      PROTOCOL,
      (created) => {
        this.#socket = created;
      },
    );
    this.#reconnects.opened();
    socket.onmessage = (message) => {
      this.#receive(JSON.parse(String(message.data)) as XrDownlinkFrame);
    };
    socket.onclose = (event) => {
      this.#reconnects.closed(
        event.code,
        event.reason,
        () => this.#stopped,
        () => this.#connect(true),
      );
    };
    const key = this.#sessionKey;
    const answer = this.#answer;
    answer?.delivered.reconnected();
    if (reconnect && (key !== undefined || answer !== undefined))
      this.send({
        type: 'resume',
        data: {
          ...(key === undefined ? {} : { session_key: key }),
          ...(answer === undefined
            ? {}
            : { resume_token: answer.resumeToken, after: Math.max(0, answer.offset - 1) }),
        },
        ts: performance.timeOrigin + performance.now(),
      });
    this.#options.onEvent({ type: 'open', reconnect });
  }

  #receive(frame: XrDownlinkFrame): void {
    const answer = this.#answer;
    if (frame.type === 'session') this.#sessionKey = frame.session_key;
    else if (frame.type === 'final' && frame.source === 'transcript') {
      if (frame.stream_id !== undefined && frame.resume_token !== undefined)
        this.#answer = {
          streamId: frame.stream_id,
          resumeToken: frame.resume_token,
          offset: 0,
          delivered: new ReplayFilter(),
        };
    } else if (frame.type === 'partial' || frame.type === 'action') {
      if (answer?.streamId === frame.stream_id) {
        if (!answer.delivered.admit(frame.type, frame.offset)) return;
        answer.offset = Math.max(answer.offset, frame.offset);
      }
    } else if (frame.type === 'final' && frame.stream_id === answer?.streamId)
      // The answer is whole: nothing of it is left to resume.
      this.#answer = undefined;
    else if (frame.type === 'error' && frame.field === '/data/session_key' && answer !== undefined)
      // The kept session is gone (expired or taken): the gateway refused the whole resume frame,
      // so the answer is asked for again by its token alone. The scene is the caller's to send.
      this.send({
        type: 'resume',
        data: { resume_token: answer.resumeToken, after: Math.max(0, answer.offset - 1) },
        ts: performance.timeOrigin + performance.now(),
      });
    this.#options.onEvent({ type: 'frame', frame });
  }
}
