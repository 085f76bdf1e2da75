import type { DownlinkFrame, UplinkFrame } from './generated/voice-frames.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import { openTicketedSocket, Reconnects, type SocketLifeEvent } from './socket-life.ts';
import { Bearer, type TokenSource } from './token.ts';

export type { DownlinkFrame, UplinkFrame };

export type { TokenSource };

export interface VoiceOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`; `ws:` or `wss:` follows from it. */
  baseUrl: string;
  token: TokenSource;
  /** Backoff of the reconnects; `maxRetries` is the reconnects in a row before giving up. */
  reconnect?: Partial<RetryPolicy>;
  onEvent: (event: VoiceEvent) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** What the socket reports: every downlink frame (each answer chunk once), and its life. */
export type VoiceEvent =
  { type: 'open'; reconnect: boolean } | { type: 'frame'; frame: DownlinkFrame } | SocketLifeEvent;

/** The answer being streamed, as a resume names it. */
interface Answer {
  streamId: string;
  resumeToken: string;
  /** The last chunk's offset the application got. */
  offset: number;
}

const PROTOCOL = 'inference.voice.v1';

/**
 * The voice socket of a browser (docs/voice.md): a ticket from `POST /api/v1/voice/session`,
 * the socket opened with it as a subprotocol, and on an unexpected close a new ticket and
 * socket after a backoff that resumes the answer being streamed after its last chunk
 * received. Chunks are delivered exactly once: a replayed `partial` (same stream, an offset
 * already delivered) is dropped. Audio sent while the socket is down is dropped, not queued.
 */
export class VoiceSocket {
  readonly #options: VoiceOptions;
  readonly #reconnects: Reconnects;
  readonly #fetch: typeof fetch;
  readonly #bearer: Bearer;
  #socket: WebSocket | undefined;
  #answer: Answer | undefined;
  #seq = 0;
  #stopped = false;

  constructor(options: VoiceOptions) {
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

  /** One frame of pcm16 (16 kHz mono little-endian), usually 20 ms (640 bytes). */
  sendAudio(pcm16: Uint8Array): void {
    let binary = '';
    for (const byte of pcm16) binary += String.fromCharCode(byte);
    this.#send({
      type: 'audio',
      codec: 'pcm16',
      seq: this.#next(),
      ts: Date.now(),
      payload: btoa(binary),
    });
  }

  /** A typed turn, answered as a transcript would be. */
  sendText(text: string): void {
    this.#send({
      type: 'control',
      seq: this.#next(),
      ts: Date.now(),
      payload: { action: 'text', text },
    });
  }

  close(): void {
    this.#stopped = true;
    this.#socket?.close(1000);
  }

  #next(): number {
    return this.#seq++;
  }

  #send(frame: UplinkFrame): void {
    if (this.connected) this.#socket?.send(JSON.stringify(frame));
  }

  async #connect(reconnect: boolean): Promise<void> {
    const socket = await openTicketedSocket(
      this.#fetch,
      this.#bearer,
      this.#options.baseUrl,
      'voice',
      PROTOCOL,
      (created) => {
        this.#socket = created;
      },
    );
    this.#reconnects.opened();
    socket.onmessage = (message) => {
      this.#receive(JSON.parse(String(message.data)) as DownlinkFrame);
    };
    socket.onclose = (event) => {
      this.#reconnects.closed(
        event.code,
        event.reason,
        () => this.#stopped,
        () => this.#connect(true),
      );
    };
    this.#options.onEvent({ type: 'open', reconnect });
    const answer = this.#answer;
    if (reconnect && answer !== undefined)
      this.#send({
        type: 'control',
        seq: this.#next(),
        ts: Date.now(),
        payload: { action: 'resume', resume_token: answer.resumeToken, after: answer.offset },
      });
  }

  #receive(frame: DownlinkFrame): void {
    const answer = this.#answer;
    if (frame.type === 'final' && frame.source === 'transcript') {
      if (frame.stream_id !== undefined && frame.resume_token !== undefined)
        this.#answer = { streamId: frame.stream_id, resumeToken: frame.resume_token, offset: 0 };
    } else if (frame.type === 'partial') {
      if (answer?.streamId === frame.stream_id) {
        if (frame.offset <= answer.offset) return;
        answer.offset = frame.offset;
      }
    } else if (frame.type === 'final' || frame.type === 'barge_in') {
      // The answer is whole (or cancelled): nothing of it is left to resume.
      if (frame.type === 'barge_in' || frame.stream_id === answer?.streamId)
        this.#answer = undefined;
    }
    this.#options.onEvent({ type: 'frame', frame });
  }
}
