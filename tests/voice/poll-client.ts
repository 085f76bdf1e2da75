import { randomUUID } from 'node:crypto';
import type { Frame } from './support.ts';

/** A numbered downlink frame, as a long poll returns it. */
export interface Numbered {
  n: number;
  frame: Frame;
}

/** A JSON call to the gateway: its status, x-request-id and body. */
export async function call(
  url: string,
  token: string,
  init: { method?: string; body?: unknown; requestId?: string } = {},
): Promise<{ status: number; requestId: string | null; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  // The gateway's JSON routes ask every call for its own x-request-id.
  headers['x-request-id'] = init.requestId ?? randomUUID();
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    requestId: response.headers.get('x-request-id'),
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/**
 * A client of the voice session's long-poll form (`/api/v1/voice/polls`): frames are POSTed
 * as they are given, and `next` long-polls until one matches, acknowledging what it read, so
 * that `frames` holds every downlink frame once, in order.
 */
export class PollClient {
  readonly frames: Frame[] = [];
  /** Every numbered frame read, as the polls answered them. */
  readonly numbered: Numbered[] = [];
  ended = false;
  #after = 0;

  readonly base: string;
  readonly id: string;
  readonly token: string;

  private constructor(base: string, id: string, token: string) {
    this.base = base;
    this.id = id;
    this.token = token;
  }

  static async open(http: string, token: string): Promise<PollClient> {
    const created = await call(`${http}/api/v1/voice/polls`, token, { method: 'POST' });
    if (created.status !== 201) throw new Error(`open: ${JSON.stringify(created)}`);
    const id = String(created.body['session_id']);
    return new PollClient(`${http}/api/v1/voice/polls/${id}`, id, token);
  }

  async send(...frames: unknown[]): Promise<void> {
    const sent = await call(`${this.base}/frames`, this.token, { method: 'POST', body: frames });
    if (sent.status !== 202) throw new Error(`send: ${JSON.stringify(sent)}`);
  }

  text(text: string, seq = 1): Promise<void> {
    return this.send({ type: 'control', seq, ts: Date.now(), payload: { action: 'text', text } });
  }

  /** One long poll after the last frame read; its frames are recorded. */
  async poll(waitMs = 5000): Promise<Numbered[]> {
    const answer = await call(
      `${this.base}/frames?after=${this.#after}&wait_ms=${waitMs}`,
      this.token,
    );
    if (answer.status !== 200) throw new Error(`poll: ${JSON.stringify(answer)}`);
    const frames = answer.body['frames'] as Numbered[];
    this.ended = answer.body['ended'] === true;
    for (const numbered of frames) {
      this.numbered.push(numbered);
      this.frames.push(numbered.frame);
    }
    this.#after = frames.at(-1)?.n ?? this.#after;
    return frames;
  }

  /** Polls until a frame matches (and returns it), failing after `timeoutMs`. */
  async next(match: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ;) {
      for (; seen < this.frames.length; seen++) {
        const frame = this.frames[seen]!;
        if (match(frame)) return frame;
      }
      if (this.ended)
        throw new Error(`session ended; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame; last: ${JSON.stringify(this.frames.slice(-5))}`);
      await this.poll(Math.min(left, 5000));
    }
  }

  async close(): Promise<void> {
    await call(this.base, this.token, { method: 'DELETE' });
  }
}
