import type { InferenceInput } from '../core/inference-input.ts';
import { cachedModel } from '../providers/local/model-cache.ts';
import { parseLocalModel, readModelFiles } from '../providers/local/model-files.ts';
import { OnnxEncoder } from '../providers/local/onnx-encoder.ts';
import type { InjectionScores } from '../security/injection-classifier.ts';
import { JAILGUARD_MAX_TOKENS, jailguardHead } from '../security/injection-jailguard.ts';
import { normalizeUntrusted } from '../security/sanitizer.ts';

/**
 * The most characters of one window. A longer text is read in windows of whole sentences and
 * scores as its likeliest window: a mean-pooled embedding of a long document dilutes the one
 * sentence that addresses the model (jailguard scores "Ignore all previous instructions…"
 * 0.999 alone and 0.16 after 340 characters of prose), and the model reads 256 tokens at most.
 * Latin text runs some 4 characters a token, CJK one.
 */
const WINDOW = { latin: 240, cjk: 80 } as const;
/** At most this many windows a request (a few ms each): a bounded cost. */
export const MAX_WINDOWS = 64;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;
/** Where a sentence ends: after its closing mark, or at a line break. */
const SENTENCE_END = /(?<=[.!?;。！？；])\s+|(?<=[。！？；])|\n+/u;
/** Windows embedded in one ONNX run. */
const BATCH = 16;

/** Every string in a JSON-like value (prompt variables, a tool's structured result), in order. */
export function stringsIn(value: unknown): string[] {
  const texts: string[] = [];
  const visit = (item: unknown): void => {
    if (typeof item === 'string') texts.push(item);
    else if (Array.isArray(item)) item.forEach(visit);
    else if (item !== null && typeof item === 'object') Object.values(item).forEach(visit);
  };
  visit(value);
  return texts;
}

/** Every client string of a chat request the sanitiser reads: messages and prompt variables. */
export function untrustedTexts(input: InferenceInput): string[] {
  return [
    ...(input.messages ?? []).map((message) => message.content),
    ...stringsIn(input.prompt?.variables),
  ];
}

/**
 * `text` as the classifier reads it: whole when it fits one window, else its sentences packed
 * into windows (a sentence longer than a window is cut at spaces, or anywhere in CJK).
 */
export function windowsOf(text: string): string[] {
  const cjk = (text.match(CJK)?.length ?? 0) > text.length / 4;
  const size = cjk ? WINDOW.cjk : WINDOW.latin;
  if (text.length <= size) return [text];
  const windows: string[] = [];
  let current = '';
  for (const sentence of text.split(SENTENCE_END)) {
    if (sentence.trim() === '') continue;
    for (const piece of cut(sentence, size, cjk)) {
      if (current !== '' && current.length + 1 + piece.length > size) {
        windows.push(current);
        current = '';
      }
      current = current === '' ? piece : `${current} ${piece}`;
    }
  }
  if (current !== '') windows.push(current);
  return windows;
}

/** `sentence` in pieces of at most `size` characters, cut at spaces where it has them. */
function cut(sentence: string, size: number, cjk: boolean): string[] {
  const pieces: string[] = [];
  let rest = sentence.trim();
  while (rest.length > size) {
    const space = cjk ? -1 : rest.lastIndexOf(' ', size);
    const end = space > size / 2 ? space : size;
    pieces.push(rest.slice(0, end));
    rest = rest.slice(end).trim();
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

export interface InjectionScorer {
  /** P(injection) of each text, keyed by its normalised form (what the sanitiser scores). */
  score(texts: readonly string[]): Promise<InjectionScores>;
}

/**
 * jailguard's probabilities: the MiniLM embedding (`modelDir`, by default the model cache's
 * all-minilm-l6-v2 that make models-fetch fetches), cut at jailguard's 256 tokens, then its
 * vendored MLP head. The encoder is loaded on first use and kept for the process.
 */
export function jailguardScorer(modelDir?: string): InjectionScorer {
  let encoder: Promise<OnnxEncoder> | undefined;
  const load = async () => {
    const dir = modelDir ?? cachedModel('all-minilm-l6-v2').id;
    const ref = parseLocalModel(`${dir}?dtype=int8`, '');
    const files = await readModelFiles(ref);
    // The tokenizer's own truncation is 128; jailguard reads 256 tokens.
    const tokenizer = { ...files.tokenizer, truncation: { max_length: JAILGUARD_MAX_TOKENS } };
    return OnnxEncoder.load(ref, { ...files, tokenizer });
  };
  return {
    async score(texts) {
      const scores = new Map<string, number>();
      const owners: string[] = [];
      const windows: string[] = [];
      for (const text of new Set(texts.map((item) => normalizeUntrusted(item).normalized))) {
        if (text.trim() === '') continue;
        for (const window of windowsOf(text)) {
          if (windows.length === MAX_WINDOWS) break;
          owners.push(text);
          windows.push(window);
        }
      }
      if (windows.length === 0) return scores;
      // A failed load is tried again by the next request, not kept.
      encoder ??= load().catch((error: unknown) => {
        encoder = undefined;
        throw error;
      });
      const model = await encoder;
      const head = jailguardHead();
      for (let start = 0; start < windows.length; start += BATCH) {
        const { vectors } = await model.embed(windows.slice(start, start + BATCH), undefined);
        for (const [offset, vector] of vectors.entries()) {
          const owner = owners[start + offset] ?? '';
          const probability = head.probability(vector);
          scores.set(owner, Math.max(scores.get(owner) ?? 0, probability));
        }
      }
      return scores;
    },
  };
}

let shared: InjectionScorer | undefined;

/**
 * The process's jailguard scorer over the model cache's MiniLM: the chat pipeline's safety and
 * the MCP gateway's share one encoder (loaded once, by whichever needs it first).
 */
export function sharedJailguardScorer(): InjectionScorer {
  shared ??= jailguardScorer();
  return shared;
}
