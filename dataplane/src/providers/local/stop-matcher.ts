/**
 * Stop sequences over streamed text: emits everything that cannot be the start of a stop
 * sequence, holds back the rest, and reports the first stop sequence completed (the answer
 * ends before it, as OpenAI's `stop` does).
 */
export class StopMatcher {
  readonly #stops: readonly string[];
  #pending = '';

  constructor(stops: readonly string[]) {
    this.#stops = stops.filter((stop) => stop !== '');
  }

  push(text: string): { text: string; stopped: boolean } {
    this.#pending += text;
    let first = -1;
    for (const stop of this.#stops) {
      const index = this.#pending.indexOf(stop);
      if (index >= 0 && (first < 0 || index < first)) first = index;
    }
    if (first >= 0) {
      const emit = this.#pending.slice(0, first);
      this.#pending = '';
      return { text: emit, stopped: true };
    }
    let hold = 0;
    for (const stop of this.#stops) {
      for (let length = Math.min(stop.length - 1, this.#pending.length); length > hold; length--) {
        if (this.#pending.endsWith(stop.slice(0, length))) {
          hold = length;
          break;
        }
      }
    }
    const emit = this.#pending.slice(0, this.#pending.length - hold);
    this.#pending = this.#pending.slice(this.#pending.length - hold);
    return { text: emit, stopped: false };
  }

  flush(): string {
    const rest = this.#pending;
    this.#pending = '';
    return rest;
  }
}
