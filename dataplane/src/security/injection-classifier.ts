/**
 * The classifier stage: npm `llm_guardrail@2.1.2` (ISC), TF-IDF over word 1- to n-grams and a
 * logistic regression, trained by its author on prompt-injection and jailbreak data; its two
 * models ship as JSON in the package. This is our own sparse scorer over those files (the
 * package's dense one allocates a vocabulary-sized array per call), tokenising and weighting
 * exactly as the package's `model/tfidf.js` does: lowercase, `\b\w\w+\b`, raw counts × idf, L2.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INJECTION_CLASSIFIER_FILES } from '../../../crds/gateway-settings.ts';

/** The classifiers this build can run, by the name the config uses. */
export type InjectionClassifierName = keyof typeof INJECTION_CLASSIFIER_FILES;

interface ModelJson {
  vocabulary: Record<string, number>;
  idf: number[];
  ngram_range: [number, number];
  lowercase: boolean;
  coefficients: number[][];
  intercept: number[];
}

class TfidfLogistic {
  readonly #vocabulary: Map<string, number>;
  readonly #idf: Float64Array;
  readonly #weights: Float64Array;
  readonly #intercept: number;
  readonly #range: [number, number];
  readonly #lowercase: boolean;

  constructor(json: ModelJson) {
    this.#vocabulary = new Map(Object.entries(json.vocabulary));
    this.#idf = Float64Array.from(json.idf);
    this.#weights = Float64Array.from(json.coefficients[0] ?? []);
    this.#intercept = json.intercept[0] ?? 0;
    this.#range = json.ngram_range;
    this.#lowercase = json.lowercase;
  }

  /** P(attack) for `text`. */
  probability(text: string): number {
    const tokens = (this.#lowercase ? text.toLowerCase() : text).match(/\b\w\w+\b/g) ?? [];
    const counts = new Map<number, number>();
    const [min, max] = this.#range;
    for (let n = min; n <= max; n++) {
      for (let index = 0; index + n <= tokens.length; index++) {
        const term = n === 1 ? (tokens[index] ?? '') : tokens.slice(index, index + n).join(' ');
        const column = this.#vocabulary.get(term);
        if (column !== undefined) counts.set(column, (counts.get(column) ?? 0) + 1);
      }
    }
    let norm = 0;
    let dot = 0;
    for (const [column, count] of counts) {
      const value = count * (this.#idf[column] ?? 0);
      norm += value * value;
      dot += value * (this.#weights[column] ?? 0);
    }
    const z = this.#intercept + (norm > 0 ? dot / Math.sqrt(norm) : 0);
    return 1 / (1 + Math.exp(-z));
  }
}

export interface InjectionClassifier {
  readonly name: InjectionClassifierName;
  /** The highest P(attack) of the classifier's models, 0 to 1. */
  probability(text: string): number;
}

/** Where each file of `name` is; throws naming the file when one is not installed. */
export function classifierPaths(name: InjectionClassifierName): string[] {
  return INJECTION_CLASSIFIER_FILES[name].map((specifier) => {
    try {
      return fileURLToPath(import.meta.resolve(specifier));
    } catch {
      throw new Error(`injection classifier ${name}: ${specifier} is not installed`);
    }
  });
}

const loaded = new Map<InjectionClassifierName, InjectionClassifier>();

/**
 * The classifier `name`, its models read on first use (about 3 MB of JSON, some 100 ms) and
 * kept for the process.
 * @throws Error naming the classifier when its files are missing or unreadable.
 */
export function injectionClassifier(name: InjectionClassifierName): InjectionClassifier {
  const known = loaded.get(name);
  if (known !== undefined) return known;
  const models = classifierPaths(name).map(
    (path) => new TfidfLogistic(JSON.parse(readFileSync(path, 'utf8')) as ModelJson),
  );
  const classifier: InjectionClassifier = {
    name,
    probability: (text) => Math.max(0, ...models.map((model) => model.probability(text))),
  };
  loaded.set(name, classifier);
  return classifier;
}

/**
 * The classifier's share of a message's score: nothing at or below even odds, rising linearly
 * to `weight` at certainty, so that a model's uncertain 0.3 on a gardening question adds 0.
 */
export function classifierScore(probability: number, weight: number): number {
  return Math.round(Math.max(0, (probability - 0.5) / 0.5) * weight * 1000) / 1000;
}
