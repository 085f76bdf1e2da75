import type { FastifyReply } from 'fastify';

/**
 * The one writer that knows SSE framing and an SSE connection's life: it notices the client
 * leaving and the gateway draining (`closed`), hijacks the reply only when `open` is called (so
 * a failure before the first event can still be a plain HTTP error with its status), sends
 * heartbeats, applies backpressure (a write that fills the socket returns a promise to await
 * before writing more, so a slow client never grows a buffer here) and ends the response once.
 */
export class SseStream {
  readonly #reply: FastifyReply;
  readonly #draining: AbortSignal;
  readonly #closed = new AbortController();
  #heartbeat: NodeJS.Timeout | undefined;
  #opened = false;

  constructor(reply: FastifyReply, draining: AbortSignal) {
    this.#reply = reply;
    this.#draining = draining;
    reply.raw.on('close', this.#close);
    draining.addEventListener('abort', this.#close, { once: true });
  }

  /** Aborted when the client goes away or the gateway starts draining. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /** Whether the socket still takes writes. */
  get writable(): boolean {
    const response = this.#reply.raw;
    return !response.destroyed && !response.writableEnded;
  }

  /** Hijacks the reply and sends status and headers; call once, before the first event. */
  open(headers: Record<string, string>): void {
    this.#reply.hijack();
    this.#opened = true;
    const response = this.#reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...(this.#reply.getHeaders() as Record<string, string>),
      ...headers,
    });
    response.flushHeaders();
  }

  /** Calls `beat` every `everyMs` until the stream ends (it writes its own events). */
  heartbeat(everyMs: number, beat: () => void): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(beat, everyMs);
  }

  /** A named event; `data` is JSON on one line, `id` the event id a client resumes after. */
  event(name: string, data: unknown, id?: number): Promise<void> | undefined {
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    return this.#write(`${idLine}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** An unnamed event with JSON data (the OpenAI format's frames). */
  data(data: unknown): Promise<void> | undefined {
    return this.#write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** An unnamed event with a literal payload (OpenAI's `[DONE]`). */
  literal(payload: string): Promise<void> | undefined {
    return this.#write(`data: ${payload}\n\n`);
  }

  /** Stops the heartbeat, lets go of the connection's events, and ends the response if opened. */
  end(): void {
    clearInterval(this.#heartbeat);
    this.#reply.raw.off('close', this.#close);
    this.#draining.removeEventListener('abort', this.#close);
    if (this.#opened && this.writable) this.#reply.raw.end();
  }

  readonly #close = (): void => {
    this.#closed.abort();
  };

  #write(frame: string): Promise<void> | undefined {
    if (!this.writable) return undefined;
    const response = this.#reply.raw;
    if (response.write(frame)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });
  }
}
