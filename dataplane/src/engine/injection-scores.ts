import { createHash } from 'node:crypto';
import type { InferenceInput } from '../core/inference-input.ts';
import { cachedModel } from '../providers/local/model-cache.ts';
import { parseLocalModel, readModelFiles } from '../providers/local/model-files.ts';
import { OnnxEncoder } from '../providers/local/onnx-encoder.ts';
import type { InjectionScores } from '../security/injection-classifier.ts';
import { ExpiringLru } from '../security/expiring-lru.ts';
import { minilmHead } from '../security/injection-head.ts';
import { minilmTunedHead, verifiedOnnx } from '../security/injection-tuned.ts';
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

/** The MiniLM sentence encoder, loaded on first use; a failed load is tried again next time. */
export type LazyEncoder = () => Promise<OnnxEncoder>;

/**
 * The all-MiniLM-L6-v2 encoder (`modelDir`, by default the model cache's all-minilm-l6-v2 that
 * make models-fetch fetches), reading 256 tokens a text as jailguard does; `onnx`, when given,
 * names another export of the same architecture to run with that tokenizer and config (the
 * fine-tuned encoder of minilm_tuned), read when the encoder loads.
 */
export function minilmEncoder(modelDir?: string, onnx?: () => string): LazyEncoder {
  let encoder: Promise<OnnxEncoder> | undefined;
  const load = async () => {
    const dir = modelDir ?? cachedModel('all-minilm-l6-v2').id;
    const ref = parseLocalModel(`${dir}?dtype=int8`, '');
    const files = await readModelFiles(ref);
    // The tokenizer's own truncation is 128; jailguard reads 256 tokens.
    const tokenizer = { ...files.tokenizer, truncation: { max_length: JAILGUARD_MAX_TOKENS } };
    return OnnxEncoder.load(ref, {
      ...files,
      tokenizer,
      ...(onnx !== undefined && { onnxPath: onnx() }),
    });
  };
  return () =>
    (encoder ??= load().catch((error: unknown) => {
      encoder = undefined;
      throw error;
    }));
}

/** What turns a text's embedding into P(injection): jailguard's MLP or the trained head. */
export interface EmbeddingHead {
  probability(embedding: ArrayLike<number>): number;
}

/** The embedding of each window, in order. */
export type WindowEncoder = (windows: readonly string[]) => Promise<ArrayLike<number>[]>;

/**
 * Windows whose embedding is kept (3 KB each): a conversation sends its earlier turns again with
 * every new one, and a list naming jailguard and minilm_head scores each window twice.
 */
const KEPT_EMBEDDINGS = 2048;
/** The key of a kept embedding: a digest, so the cache holds no text. */
const digest = (window: string) => createHash('sha256').update(window).digest('base64');

/**
 * `encoder`'s embeddings, {@link BATCH} windows to an ONNX run, the last
 * {@link KEPT_EMBEDDINGS} kept: a window embedded lately, or being embedded for a concurrent
 * scorer, is not embedded again. A failed run is forgotten, so the next request tries again.
 */
export function keptEmbeddings(encoder: LazyEncoder): WindowEncoder {
  const kept = new ExpiringLru<Promise<ArrayLike<number>>>(KEPT_EMBEDDINGS);
  const embed = async (windows: readonly string[]) => {
    const model = await encoder();
    const vectors: ArrayLike<number>[] = [];
    for (let start = 0; start < windows.length; start += BATCH) {
      const batch = await model.embed(windows.slice(start, start + BATCH), undefined);
      vectors.push(...batch.vectors);
    }
    return vectors;
  };
  return (windows) => {
    const vectors = new Map<string, Promise<ArrayLike<number>>>();
    const missing = new Map<string, string>(); // window → its key
    for (const window of new Set(windows)) {
      const key = digest(window);
      const vector = kept.get(key, 0);
      if (vector === undefined) missing.set(window, key);
      else vectors.set(window, vector);
    }
    if (missing.size > 0) {
      const embedded = embed([...missing.keys()]);
      for (const [index, [window, key]] of [...missing].entries()) {
        const vector = embedded.then((all) => all[index] ?? []);
        vectors.set(window, vector);
        kept.set(key, vector, Number.POSITIVE_INFINITY);
      }
      embedded.catch(() => {
        for (const key of missing.values()) kept.delete(key);
      });
    }
    return Promise.all(windows.map((window) => vectors.get(window) ?? Promise.resolve([])));
  };
}

/** Each text's windows (at most {@link MAX_WINDOWS} in all), each tagged with its text. */
export function windowsByText(texts: readonly string[]): { owners: string[]; windows: string[] } {
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
  return { owners, windows };
}

/**
 * P(injection) of each text by `head` over the MiniLM embedding of its windows: the likeliest
 * window counts. Scorers built over the same {@link WindowEncoder} share its model and its kept
 * embeddings.
 */
export function embeddingScorer(head: () => EmbeddingHead, encode: WindowEncoder): InjectionScorer {
  return {
    async score(texts) {
      const scores = new Map<string, number>();
      const { owners, windows } = windowsByText(texts);
      if (windows.length === 0) return scores;
      const vectors = await encode(windows);
      const reader = head();
      for (const [index, vector] of vectors.entries()) {
        const owner = owners[index] ?? '';
        scores.set(owner, Math.max(scores.get(owner) ?? 0, reader.probability(vector)));
      }
      return scores;
    },
  };
}

/** jailguard's probabilities: its vendored MLP head over the MiniLM embedding. */
export function jailguardScorer(modelDir?: string): InjectionScorer {
  return embeddingScorer(jailguardHead, keptEmbeddings(minilmEncoder(modelDir)));
}

/** The minilm_head classifier's probabilities: the trained head over the MiniLM embedding. */
export function minilmHeadScorer(modelDir?: string): InjectionScorer {
  return embeddingScorer(minilmHead, keptEmbeddings(minilmEncoder(modelDir)));
}

/**
 * The minilm_tuned classifier's probabilities: its fine-tuned encoder and head. Its embeddings
 * are its own (another encoder), kept like the shared ones.
 */
export function minilmTunedScorer(modelDir?: string): InjectionScorer {
  return embeddingScorer(minilmTunedHead, keptEmbeddings(minilmEncoder(modelDir, verifiedOnnx)));
}

let embeddings: WindowEncoder | undefined;
/** The process's embeddings over the model cache's MiniLM, shared by its scorers. */
const sharedEmbeddings = () => (embeddings ??= keptEmbeddings(minilmEncoder()));
let jailguard: InjectionScorer | undefined;
let trained: InjectionScorer | undefined;
let tuned: InjectionScorer | undefined;

/**
 * The process's jailguard scorer over the model cache's MiniLM: the chat pipeline's safety and
 * the MCP gateway's share it, and its encoder and kept embeddings with
 * {@link sharedMinilmHeadScorer} (the model loaded once, by whichever needs it first).
 */
export function sharedJailguardScorer(): InjectionScorer {
  jailguard ??= embeddingScorer(jailguardHead, sharedEmbeddings());
  return jailguard;
}

/** The process's minilm_head scorer, on the embeddings {@link sharedJailguardScorer} uses. */
export function sharedMinilmHeadScorer(): InjectionScorer {
  trained ??= embeddingScorer(minilmHead, sharedEmbeddings());
  return trained;
}

/** The process's minilm_tuned scorer (its encoder loaded on first use, once a process). */
export function sharedMinilmTunedScorer(): InjectionScorer {
  tuned ??= minilmTunedScorer();
  return tuned;
}
