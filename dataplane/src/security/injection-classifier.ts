/**
 * The classifier stage: TF-IDF over word n-grams and a logistic regression, two models that
 * ship in registry packages, scored in-process by our own sparse scorer:
 *
 * - `llm_guardrail`: npm `llm_guardrail@2.1.2` (ISC), its prompt-injection and jailbreak models
 *   as JSON in the package; tokenised and weighted exactly as the package's `model/tfidf.js`
 *   does (lowercase, `\b\w\w+\b` in ASCII, raw counts × idf, L2), the higher of the two counting.
 * - `prompt_guardrail`: PyPI `prompt-guardrail` 1.0.1 (Apache-2.0), a scikit-learn 1.7.2
 *   TfidfVectorizer (word 1- to 4-grams, 50,000 features) and LogisticRegression, exported to
 *   JSON by scripts/export-prompt-guardrail.py; weighted as scikit-learn does with its settings
 *   (lowercase, accents stripped, `\b\w+\b`, 1 + ln(count) × idf, L2).
 */
import { readFileSync } from 'node:fs';
import {
  injectionClassifierPaths,
  type InjectionClassifierName,
} from '../../../crds/injection-settings.ts';

export type { InjectionClassifierName };
/** The classifiers that score before the sanitiser runs: an embedding, a model's answer. */
export type ScoredClassifierName = Extract<
  InjectionClassifierName,
  'jailguard' | 'minilm_head' | 'minilm_tuned' | 'guard'
>;
/** The names of {@link ScoredClassifierName}. */
export const SCORED_CLASSIFIERS: readonly ScoredClassifierName[] = [
  'jailguard',
  'minilm_head',
  'minilm_tuned',
  'guard',
];
export const isScoredClassifier = (name: InjectionClassifierName): name is ScoredClassifierName =>
  (SCORED_CLASSIFIERS as readonly string[]).includes(name);
/** The classifiers scored here from the text alone. */
export type TfidfClassifierName = Exclude<InjectionClassifierName, ScoredClassifierName>;

/**
 * Probabilities computed before the sanitiser ran, by the text the sanitiser scores (its
 * normalised form: `normalizeUntrusted` in sanitizer.ts).
 */
export type InjectionScores = ReadonlyMap<string, number>;
/** What each classifier that scores beforehand computed for one request's texts. */
export type ClassifierScores = Partial<Record<ScoredClassifierName, InjectionScores>>;

interface Weighting {
  /** Word tokens of (lowercased) text. */
  tokens: (text: string) => string[];
  minN: number;
  maxN: number;
  /** scikit-learn's `sublinear_tf`: 1 + ln(count) instead of the count. */
  sublinear: boolean;
}

class TfidfLogistic {
  readonly #vocabulary: Map<string, number>;
  readonly #idf: Float64Array;
  readonly #weights: Float64Array;
  readonly #intercept: number;
  readonly #weighting: Weighting;

  constructor(
    vocabulary: Record<string, number>,
    idf: readonly number[],
    weights: readonly number[],
    intercept: number,
    weighting: Weighting,
  ) {
    this.#vocabulary = new Map(Object.entries(vocabulary));
    this.#idf = Float64Array.from(idf);
    this.#weights = Float64Array.from(weights);
    this.#intercept = intercept;
    this.#weighting = weighting;
  }

  /** P(attack) for `text`. */
  probability(text: string): number {
    const { tokens: tokenise, minN, maxN, sublinear } = this.#weighting;
    const tokens = tokenise(text);
    const counts = new Map<number, number>();
    for (let n = minN; n <= maxN; n++) {
      for (let index = 0; index + n <= tokens.length; index++) {
        const term = n === 1 ? (tokens[index] ?? '') : tokens.slice(index, index + n).join(' ');
        const column = this.#vocabulary.get(term);
        if (column !== undefined) counts.set(column, (counts.get(column) ?? 0) + 1);
      }
    }
    let norm = 0;
    let dot = 0;
    for (const [column, count] of counts) {
      const value = (sublinear ? 1 + Math.log(count) : count) * (this.#idf[column] ?? 0);
      norm += value * value;
      dot += value * (this.#weights[column] ?? 0);
    }
    const z = this.#intercept + (norm > 0 ? dot / Math.sqrt(norm) : 0);
    return 1 / (1 + Math.exp(-z));
  }
}

export interface InjectionClassifier {
  /** The classifier's setting name; several run as one ({@link highestOf}) joined by `+`. */
  readonly name: string;
  /** The highest P(attack) of the classifier's models, 0 to 1. */
  probability(text: string): number;
}

/**
 * Several classifiers as one (a policy's `classifier` list): each scores the text and the
 * highest probability counts. The share rises with the probability, so a text is flagged
 * exactly when one of them alone, with the rules, would flag it.
 */
export function highestOf(classifiers: readonly InjectionClassifier[]): InjectionClassifier {
  return {
    name: classifiers.map((classifier) => classifier.name).join('+'),
    probability: (text) =>
      Math.max(0, ...classifiers.map((classifier) => classifier.probability(text))),
  };
}

interface LlmGuardrailJson {
  vocabulary: Record<string, number>;
  idf: number[];
  ngram_range: [number, number];
  coefficients: number[][];
  intercept: number[];
}

interface PromptGuardrailJson {
  vocabulary: Record<string, number>;
  idf: number[];
  ngram_range: [number, number];
  coefficients: number[];
  intercept: number;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

function models(name: TfidfClassifierName): TfidfLogistic[] {
  const paths = injectionClassifierPaths(name);
  if (name === 'llm_guardrail') {
    return paths.map((path) => {
      const json = readJson(path) as LlmGuardrailJson;
      return new TfidfLogistic(
        json.vocabulary,
        json.idf,
        json.coefficients[0] ?? [],
        json.intercept[0] ?? 0,
        {
          tokens: (text) => text.toLowerCase().match(/\b\w\w+\b/g) ?? [],
          minN: json.ngram_range[0],
          maxN: json.ngram_range[1],
          sublinear: false,
        },
      );
    });
  }
  return paths.map((path) => {
    const json = readJson(path) as PromptGuardrailJson;
    return new TfidfLogistic(json.vocabulary, json.idf, json.coefficients, json.intercept, {
      // scikit-learn: lowercase, then strip_accents='unicode' (NFKD, combining marks dropped),
      // then token_pattern \b\w+\b with Python's Unicode \w.
      tokens: (text) =>
        text
          .toLowerCase()
          .normalize('NFKD')
          .replace(/\p{Mn}/gu, '')
          .match(/[\p{L}\p{N}_]+/gu) ?? [],
      minN: json.ngram_range[0],
      maxN: json.ngram_range[1],
      sublinear: true,
    });
  });
}

const loaded = new Map<TfidfClassifierName, InjectionClassifier>();

/**
 * The classifier `name`, its models read on first use (a few MB of JSON, some 100 ms) and kept
 * for the process.
 * @throws Error naming the file when one is missing or unreadable (the config loader refuses
 *   such a config first: config/safety-check.ts).
 */
export function injectionClassifier(name: TfidfClassifierName): InjectionClassifier {
  const known = loaded.get(name);
  if (known !== undefined) return known;
  const scorers = models(name);
  const classifier: InjectionClassifier = {
    name,
    probability: (text) => Math.max(0, ...scorers.map((model) => model.probability(text))),
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

/**
 * The classifier `name` of one request: the probabilities it computed for the request's texts
 * beforehand. A text it did not score (a caller that scanned without scoring first) gets 0, so
 * the rules decide alone, as they do with the classifier `off`.
 */
export function scoredClassifier(
  name: ScoredClassifierName,
  scores: InjectionScores | undefined,
): InjectionClassifier {
  return { name, probability: (text) => scores?.get(text) ?? 0 };
}
