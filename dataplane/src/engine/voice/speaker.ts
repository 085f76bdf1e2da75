import type { Tts } from './tts.ts';

/** A sentence's end: `.`, `!`, `?` or `…` (closing quotes after it), then white space. */
const SENTENCE = /^([\s\S]*?[.!?…]["'”’)\]]*)\s+/;

/**
 * One answer spoken sentence by sentence as its text streams: each whole sentence is sent to
 * the speech API as soon as it is complete (syntheses overlap), and its audio is delivered in
 * the answer's order. `signal` (the turn's: barge-in, a newer turn, the transport gone) aborts
 * the syntheses in flight and stops delivery: nothing more is said.
 */
export class Speaker {
  readonly #tts: Tts;
  readonly #voice: string;
  readonly #signal: AbortSignal;
  readonly #deliver: (audio: Buffer, text: string, index: number) => void;
  readonly #failed: (error: unknown) => void;
  #pending = '';
  #index = 0;
  #delivered: Promise<void> = Promise.resolve();
  /** A synthesis failed: it is reported once and the rest of the answer is not spoken. */
  #stopped = false;

  constructor(options: {
    tts: Tts;
    voice: string;
    signal: AbortSignal;
    deliver: (audio: Buffer, text: string, index: number) => void;
    failed: (error: unknown) => void;
  }) {
    this.#tts = options.tts;
    this.#voice = options.voice;
    this.#signal = options.signal;
    this.#deliver = options.deliver;
    this.#failed = options.failed;
  }

  /** The answer's next text. */
  push(text: string): void {
    this.#pending += text;
    for (let match = SENTENCE.exec(this.#pending); match !== null;) {
      this.#say(match[1] ?? '');
      this.#pending = this.#pending.slice(match[0].length);
      match = SENTENCE.exec(this.#pending);
    }
  }

  /** The answer ended: its last words are said; resolves when all audio is delivered. */
  end(): Promise<void> {
    this.#say(this.#pending);
    this.#pending = '';
    return this.#delivered;
  }

  #say(sentence: string): void {
    const text = sentence.trim();
    if (text === '' || this.#signal.aborted || this.#stopped) return;
    const index = this.#index++;
    const audio = this.#tts.synthesize(text, this.#voice, this.#signal).then(
      (bytes) => ({ bytes }),
      (error: unknown) => ({ error }),
    );
    this.#delivered = this.#delivered.then(async () => {
      const result = await audio;
      if (this.#signal.aborted || this.#stopped) return;
      if ('bytes' in result) {
        this.#deliver(result.bytes, text, index);
        return;
      }
      this.#stopped = true;
      this.#failed(result.error);
    });
  }
}
