import type { TokenLogprob, TokenProbability } from '../../core/types.ts';

/**
 * The log-probability of `chosen` and the `top` most likely ids under the distribution the
 * sampler draws from: the log-softmax of the logits at the sampling temperature (1 when
 * greedy), before top-p's cut. Ties go to the lower id, as `argmax` picks.
 */
export function logSoftmaxAt(
  logits: Float32Array,
  chosen: number,
  top: number,
  temperature: number,
): { logprob: number; top: { id: number; logprob: number }[] } {
  const scale = temperature > 0 ? 1 / temperature : 1;
  let max = Number.NEGATIVE_INFINITY;
  for (const logit of logits) if (logit * scale > max) max = logit * scale;
  let sum = 0;
  for (const logit of logits) sum += Math.exp(logit * scale - max);
  const logZ = max + Math.log(sum);
  const best: { id: number; value: number }[] = [];
  if (top > 0) {
    for (const [id, logit] of logits.entries()) {
      const value = logit * scale;
      if (best.length === top && value <= (best.at(-1)?.value ?? Number.NEGATIVE_INFINITY))
        continue;
      let at = best.length;
      while (at > 0 && (best[at - 1]?.value ?? 0) < value) at--;
      best.splice(at, 0, { id, value });
      if (best.length > top) best.pop();
    }
  }
  return {
    logprob: (logits[chosen] ?? 0) * scale - logZ,
    top: best.map(({ id, value }) => ({ id, logprob: value - logZ })),
  };
}

/**
 * A token as the client sees it: its text alone and that text's UTF-8 bytes; a token that is
 * part of a character decodes to U+FFFD alone, and its bytes are unknown here (null).
 */
export function tokenProbability(text: string, logprob: number): TokenProbability {
  const bytes = text.includes('\uFFFD') ? null : [...Buffer.from(text, 'utf8')];
  return { token: text, logprob, bytes };
}

/**
 * Puts generated tokens with the text chunks that carry them: a token goes with the first
 * chunk that holds any of its text. Tokens come with the text the decoder released for them
 * (none for a token that only starts a character: it goes with the next one that completes
 * it); chunks come with the text that reached the client after the stop matcher (which may
 * hold the end of a token back). The last chunk takes every token left, unless a stop
 * sequence cut the answer: the tokens none of whose text was sent are then not the answer's.
 */
export class LogprobAligner {
  /** Tokens whose text the decoder released, with where that text starts in the answer. */
  readonly #queue: { entry: TokenLogprob; start: number }[] = [];
  /** Tokens the decoder has released no text for yet. */
  #group: TokenLogprob[] = [];
  #decoded = 0;
  #sent = 0;

  /** A generated token, and the text the decoder released with it ('' while it holds). */
  token(entry: TokenLogprob, released: string): void {
    this.#group.push(entry);
    this.released(released);
  }

  /** Text the decoder released without a new token (its flush at the end). */
  released(text: string): void {
    if (text === '') return;
    for (const entry of this.#group) this.#queue.push({ entry, start: this.#decoded });
    this.#decoded += text.length;
    this.#group = [];
  }

  /** The tokens of a chunk of `text` sent to the client. */
  sent(text: string): TokenLogprob[] {
    this.#sent += text.length;
    const taken: TokenLogprob[] = [];
    while ((this.#queue[0]?.start ?? Number.POSITIVE_INFINITY) < this.#sent)
      taken.push(this.#queue.shift()?.entry as TokenLogprob);
    return taken;
  }

  /** The tokens of the last chunk, `text`: with every one left unless a stop sequence `cut`. */
  last(text: string, cut: boolean): TokenLogprob[] {
    const taken = this.sent(text);
    if (cut) return taken;
    return [...taken, ...this.#queue.splice(0).map(({ entry }) => entry), ...this.#group.splice(0)];
  }
}
