import type { ServerResponse } from 'node:http';

/**
 * The one writer that knows SSE framing. `write` reports backpressure: when it returns a
 * promise, the caller awaits it before writing more, so a slow client never grows a buffer here.
 */
export class SseWriter {
  readonly #response: ServerResponse;

  constructor(response: ServerResponse) {
    this.#response = response;
  }

  /** Sends status and headers; call once before the first event. */
  open(headers: Record<string, string>): void {
    this.#response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.#response.flushHeaders();
  }

  get closed(): boolean {
    return this.#response.destroyed || this.#response.writableEnded;
  }

  /** Writes one event; `data` is JSON-encoded on one line. Resolves when the socket drains. */
  event(name: string, data: unknown, id?: number): Promise<void> | undefined {
    const frame = `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
    return this.raw(frame);
  }

  /** Writes a pre-framed payload (the OpenAI format writes `data:` lines only). */
  raw(frame: string): Promise<void> | undefined {
    if (this.closed) return undefined;
    if (this.#response.write(frame)) return undefined;
    return new Promise((resolve) => {
      const done = () => {
        this.#response.off('drain', done);
        this.#response.off('close', done);
        resolve();
      };
      this.#response.on('drain', done);
      this.#response.on('close', done);
    });
  }

  end(): void {
    if (!this.closed) this.#response.end();
  }
}
