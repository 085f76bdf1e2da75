/**
 * Turns generated ids into text pieces as they come, so that a character split across tokens
 * (a multi-byte UTF-8 sequence, a word that only decodes cleanly with its neighbour) is sent
 * once it is whole: the decode of the tokens since the last emitted boundary, minus what that
 * window decoded to before (the method of Hugging Face's text-generation-inference).
 */
export class TextStream {
  readonly #decode: (ids: readonly number[]) => string;
  readonly #ids: number[] = [];
  #prefixOffset = 0;
  #readOffset = 0;

  constructor(decode: (ids: readonly number[]) => string) {
    this.#decode = decode;
  }

  push(id: number): string {
    this.#ids.push(id);
    const before = this.#decode(this.#ids.slice(this.#prefixOffset, this.#readOffset));
    const after = this.#decode(this.#ids.slice(this.#prefixOffset));
    if (after.length <= before.length || after.endsWith('\uFFFD')) return '';
    this.#prefixOffset = this.#readOffset;
    this.#readOffset = this.#ids.length;
    return after.slice(before.length);
  }

  /** What is still held back at the end (an incomplete character decodes as U+FFFD). */
  flush(): string {
    const before = this.#decode(this.#ids.slice(this.#prefixOffset, this.#readOffset));
    const after = this.#decode(this.#ids.slice(this.#prefixOffset));
    return after.slice(before.length);
  }
}
