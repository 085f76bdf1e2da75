/**
 * The gateway's XR socket for the panel (docs/xr.md, "Opening the socket" and "Reconnecting"):
 * a single-use ticket from `POST /api/v1/xr/session` with the bearer token (asked again once
 * when the gateway answers 401), then `new WebSocket(url, ["inference.xr.v1", "ticket." + t])`.
 * A socket that drops is opened again (a fresh ticket, a doubling delay, at most `RETRIES` in a
 * row) and sends `resume` with the session key, and with the answer's resume token and the
 * last offset delivered while one was streaming; a `partial` or `action` at an offset already
 * delivered is not passed on, so a resumed answer shows each chunk once.
 */
import type { XrDownlinkFrame, XrUplinkFrame } from '../../docs/xr-frames.d.ts';

export type { XrDownlinkFrame, XrUplinkFrame };

const PROTOCOL = 'inference.xr.v1';
const RETRIES = 8;
const FIRST_DELAY_MS = 200;
const MAX_DELAY_MS = 2000;

export type XrEvent =
  | { type: 'frame'; frame: XrDownlinkFrame }
  | { type: 'open'; reconnect: boolean }
  | { type: 'reconnecting'; attempt: number }
  /** The kept session was not found (it expired): the socket's new one is empty. */
  | { type: 'fresh' }
  | { type: 'closed' };

export class XrConnection {
  readonly #baseUrl: string;
  readonly #token: (why: 'initial' | 'expired') => Promise<string>;
  readonly #onEvent: (event: XrEvent) => void;
  #socket: WebSocket | undefined;
  #sessionKey: string | undefined;
  /** The key of the session a reconnected socket opened with, before it resumed the kept one. */
  #freshKey: string | undefined;
  /** The answer streaming now: its stream, resume token and last offset delivered. */
  #answer: { stream: string; token: string; offset: number } | undefined;

  constructor(options: {
    baseUrl: string;
    token: (why: 'initial' | 'expired') => Promise<string>;
    onEvent: (event: XrEvent) => void;
  }) {
    this.#baseUrl = options.baseUrl;
    this.#token = options.token;
    this.#onEvent = options.onEvent;
  }

  /** Opens the socket; rejects when the gateway refuses it (the token, the origin). */
  async open(): Promise<void> {
    await this.#connect(false);
  }

  /** Sends a frame, or says it could not: one sent while the socket is down is dropped, not queued. */
  send(frame: XrUplinkFrame): boolean {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(frame));
    return true;
  }

  async #ticket(): Promise<{ ticket: string; url: string }> {
    const ask = async (why: 'initial' | 'expired') =>
      fetch(`${this.#baseUrl}/api/v1/xr/session`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.#token(why)}`,
          'x-request-id': crypto.randomUUID(),
        },
      });
    let issued = await ask('initial');
    if (issued.status === 401) issued = await ask('expired');
    if (!issued.ok) throw new Error(`no XR ticket (${issued.status})`);
    return (await issued.json()) as { ticket: string; url: string };
  }

  async #connect(reconnect: boolean): Promise<void> {
    const { ticket, url } = await this.#ticket();
    const socket = new WebSocket(`${this.#baseUrl.replace(/^http/, 'ws')}${url}`, [
      PROTOCOL,
      `ticket.${ticket}`,
    ]);
    socket.addEventListener('message', (event: MessageEvent<string>) => {
      this.#receive(JSON.parse(event.data) as XrDownlinkFrame);
    });
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => {
        resolve();
      });
      socket.addEventListener('error', () => {
        reject(new Error('the XR socket was refused'));
      });
    });
    this.#socket = socket;
    socket.addEventListener('close', (event) => {
      if (event.code === 1000) this.#onEvent({ type: 'closed' });
      else void this.#reconnect();
    });
    if (reconnect && this.#sessionKey !== undefined) {
      const answer = this.#answer;
      this.send({
        type: 'resume',
        data: {
          session_key: this.#sessionKey,
          ...(answer === undefined ? {} : { resume_token: answer.token, after: answer.offset }),
        },
        ts: performance.timeOrigin + performance.now(),
      });
    }
    this.#onEvent({ type: 'open', reconnect });
  }

  async #reconnect(): Promise<void> {
    for (let attempt = 1; attempt <= RETRIES; attempt++) {
      this.#onEvent({ type: 'reconnecting', attempt });
      const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        await this.#connect(true);
        return;
      } catch {
        // The network is still down, or the gateway refused: the next attempt, later.
      }
    }
    this.#onEvent({ type: 'closed' });
  }

  #receive(frame: XrDownlinkFrame): void {
    if (frame.type === 'session' && !frame.resumed) {
      this.#freshKey = frame.session_key;
      this.#sessionKey ??= frame.session_key;
    }
    if (frame.type === 'error' && frame.field === '/data/session_key') {
      // The kept session is gone: this socket's own session is the one from now on, and the
      // refused resume did not reach the answer, which is asked for by itself.
      this.#sessionKey = this.#freshKey;
      const answer = this.#answer;
      if (answer !== undefined)
        this.send({
          type: 'resume',
          data: { resume_token: answer.token, after: answer.offset },
          ts: performance.timeOrigin + performance.now(),
        });
      this.#onEvent({ type: 'fresh' });
    }
    if (frame.type === 'final' && frame.source === 'transcript' && frame.stream_id !== undefined)
      this.#answer = { stream: frame.stream_id, token: frame.resume_token ?? '', offset: 0 };
    if (frame.type === 'partial' || frame.type === 'action') {
      const answer = this.#answer;
      if (answer?.stream === frame.stream_id) {
        if (frame.offset < answer.offset) return;
        if (frame.offset === answer.offset && frame.type === 'partial') return;
        answer.offset = frame.offset;
      }
    }
    if (frame.type === 'final' && frame.source === 'answer') this.#answer = undefined;
    this.#onEvent({ type: 'frame', frame });
  }
}
