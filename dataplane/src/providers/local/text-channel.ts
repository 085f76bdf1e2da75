/**
 * Text pushed by a callback (llama.cpp's `onTextChunk`) read as an async iterable: pieces
 * queue until read, `end` closes it after what is queued, `fail` ends it with an error once
 * the queued pieces are read. One reader.
 */
export class TextChannel implements AsyncIterable<string> {
  readonly #pieces: string[] = [];
  #ended = false;
  #error: { reason: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(text: string): void {
    if (this.#ended || text === '') return;
    this.#pieces.push(text);
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(reason: unknown): void {
    this.#error ??= { reason };
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      const piece = this.#pieces.shift();
      if (piece !== undefined) {
        yield piece;
        continue;
      }
      if (this.#error !== undefined) throw this.#error.reason;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
