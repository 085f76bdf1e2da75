import type { DownlinkFrame, UplinkFrame } from './generated/voice-frames.ts';
import { EnisError } from './errors.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
import { openTicketedSocket, Reconnects, type SocketLifeEvent } from './socket-life.ts';
import { Bearer, type TokenSource } from './token.ts';
import type { VoiceLink, VoiceLinkEvents } from './voice-link.ts';
import { openPollLink } from './voice-poll.ts';

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
  /**
   * What carries the session: `ws` the socket only, `poll` its HTTP long-poll form only,
   * `auto` the socket, and the long-poll form from then on when the socket cannot be opened
   * (no WebSocket in the environment, an upgrade a proxy refused), which `onTransport` is told.
   * @default 'auto'
   */
  transport?: VoiceTransport;
  /** Told when `auto` falls back to the long-poll form, with why the socket could not open. */
  onTransport?: (change: TransportChange) => void;
}

export type VoiceTransport = 'ws' | 'poll' | 'auto';

/** `auto` fell back to the long-poll form: why the socket could not be opened. */
export interface TransportChange {
  transport: 'poll';
  reason: string;
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
 * received. Where the socket cannot open, the same session over HTTP long-poll
 * (`transport`, voice-poll.ts) with the same events and resumes. Chunks are delivered exactly
 * once: a replayed `partial` (same stream, an offset already delivered) is dropped. Audio sent
 * while the link is down is dropped, not queued.
 */
export class VoiceSocket {
  readonly #options: VoiceOptions;
  readonly #reconnects: Reconnects;
  readonly #fetch: typeof fetch;
  readonly #bearer: Bearer;
  #link: VoiceLink | undefined;
  /** The transport now: `auto` becomes `poll` once the socket could not be opened. */
  #transport: VoiceTransport;
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
    this.#transport = options.transport ?? 'auto';
  }

  /** Opens the socket; rejects with the typed error when the gateway refuses it. */
  async open(): Promise<void> {
    this.#stopped = false;
    await this.#connect(false);
  }

  get connected(): boolean {
    return this.#link?.open === true;
  }

  /** What carries the session now (`auto` until the socket failed to open once). */
  get transport(): VoiceTransport {
    return this.#transport;
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
    this.#link?.close();
  }

  #next(): number {
    return this.#seq++;
  }

  #send(frame: UplinkFrame): void {
    if (this.connected) this.#link?.send(frame);
  }

  async #connect(reconnect: boolean): Promise<void> {
    const events: VoiceLinkEvents = {
      frame: (frame) => {
        this.#receive(frame);
      },
      closed: (code, reason) => {
        this.#reconnects.closed(
          code,
          reason,
          () => this.#stopped,
          () => this.#connect(true),
        );
      },
    };
    await this.#open(events);
    this.#reconnects.opened();
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

  /** A link of the transport; `auto` falls back to long-poll when the socket cannot open. */
  async #open(events: VoiceLinkEvents): Promise<void> {
    if (this.#transport !== 'poll') {
      try {
        this.#link = await this.#openSocket(events);
        return;
      } catch (error) {
        // A refusal of the ticket is the gateway's answer, not a transport's failure.
        if (this.#transport === 'ws' || error instanceof EnisError) throw error;
        this.#transport = 'poll';
        const reason = error instanceof Error ? error.message : String(error);
        this.#options.onTransport?.({ transport: 'poll', reason });
      }
    }
    this.#link = await openPollLink(this.#fetch, this.#bearer, this.#options.baseUrl, events);
  }

  async #openSocket(events: VoiceLinkEvents): Promise<VoiceLink> {
    if (typeof WebSocket === 'undefined') throw new Error('This environment has no WebSocket.');
    const socket = await openTicketedSocket(
      this.#fetch,
      this.#bearer,
      this.#options.baseUrl,
      'voice',
      PROTOCOL,
      (created) => {
        this.#link = socketLink(created);
      },
    );
    socket.onmessage = (message) => {
      events.frame(JSON.parse(String(message.data)) as DownlinkFrame);
    };
    socket.onclose = (event) => {
      events.closed(event.code, event.reason);
    };
    return socketLink(socket);
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

/** A WebSocket as a voice link. */
function socketLink(socket: WebSocket): VoiceLink {
  return {
    send: (frame) => {
      socket.send(JSON.stringify(frame));
    },
    close: () => {
      socket.close(1000);
    },
    get open() {
      return socket.readyState === WebSocket.OPEN;
    },
  };
}
