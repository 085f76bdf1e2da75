/**
 * The guard-model classifier (`classifier: guard`, docs/safety.md) on the public corpora of
 * bench/injection.ts: a local model behind a route, asked about each corpus text as a request
 * of one message asks, then the rates with the rules and with the other classifiers. The
 * guard is SmolLM2-135M-Instruct on llama.cpp (`make models-fetch`), the one chat model this
 * machine has: what the gateway's guard call does is measured, not how good a real guard
 * model is. `GUARD_LIMIT=n` asks about the first n texts only (a quick look).
 *
 *   make bench-injection-guard    or   node bench/injection-guard.ts
 */
import type { RouteConfig } from '../dataplane/src/core/route.ts';
import { guardScorer, type GuardVerdict } from '../dataplane/src/engine/injection-guard.ts';
import { jailguardScorer } from '../dataplane/src/engine/injection-scores.ts';
import { Router } from '../dataplane/src/engine/routing/router.ts';
import { cachedModel } from '../dataplane/src/providers/local/model-cache.ts';
import { providerFor } from '../dataplane/src/providers/registry.ts';
import {
  highestOf,
  injectionClassifier,
  scoredClassifier,
} from '../dataplane/src/security/injection-classifier.ts';
import { normalizeUntrusted } from '../dataplane/src/security/sanitizer.ts';
import {
  fetchCorpus,
  loadCorpus,
  measure,
  scoreEach,
  type Rates,
} from '../tests/safety/injection-corpus.ts';

fetchCorpus();
const limit = Number(process.env['GUARD_LIMIT'] ?? Infinity);
const cases = loadCorpus().slice(0, limit);
const model = cachedModel('smollm2-135m-instruct').id;
const route: RouteConfig = {
  alias: 'guard',
  targets: [
    { name: 'smollm2', provider: 'local', model, timeoutMs: 60_000, weight: 1, priority: 0 },
  ],
  fallbackOn: new Set(),
  retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  circuitBreaker: { failureThreshold: 1_000_000, openMs: 1 },
  midStreamFailure: 'Error',
  balance: 'Weighted',
};
const verdicts: Record<GuardVerdict, number> = { attack: 0, safe: 0, error: 0 };
const seconds: number[] = [];
const guard = guardScorer({
  router: new Router({ provider: providerFor }),
  route: () => route,
  onVerdict: (verdict, took) => {
    verdicts[verdict] += 1;
    if (took !== undefined) seconds.push(took);
  },
});
const answer = process.env['GUARD_ANSWER'] === 'word' ? 'word' : 'json';
const settings = {
  model: 'guard',
  timeoutMs: 60_000,
  onError: 'pass',
  maxChars: 8000,
  answer,
} as const;

await guard.score(['warm-up: the model loads'], settings);
verdicts.safe = verdicts.attack = verdicts.error = 0;
seconds.length = 0;
const guardScores = new Map<string, number>();
for (const item of cases) {
  for (const [text, probability] of await guard.score([item.text], settings))
    guardScores.set(text, probability);
}
const jailguardScores = await scoreEach(jailguardScorer(), cases);

const percent = (part: number, whole: number) =>
  whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)} %`;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ??
  0;
const line = (title: string, rates: Rates) =>
  `| ${title} | ${rates.attacks.flagged} / ${rates.attacks.total} (${percent(rates.attacks.flagged, rates.attacks.total)}) | ${rates.benign.flagged} / ${rates.benign.total} (${percent(rates.benign.flagged, rates.benign.total)}) |`;

const guardClassifier = scoredClassifier('guard', guardScores);
const ways = [
  ['rules alone', undefined],
  ['rules + guard', guardClassifier],
  [
    'rules + [jailguard, llm_guardrail]',
    highestOf([
      scoredClassifier('jailguard', jailguardScores),
      injectionClassifier('llm_guardrail'),
    ]),
  ],
  [
    'rules + [jailguard, llm_guardrail, guard]',
    highestOf([
      scoredClassifier('jailguard', jailguardScores),
      injectionClassifier('llm_guardrail'),
      guardClassifier,
    ]),
  ],
] as const;

console.log(`guard: SmolLM2-135M-Instruct (llama.cpp, ${model}), ${cases.length} texts`);
console.log(
  `verdicts: attack ${verdicts.attack}, safe ${verdicts.safe}, no verdict ${verdicts.error}`,
);
console.log(
  `guard call: p50 ${(percentile(seconds, 0.5) * 1000).toFixed(0)} ms, p99 ${(percentile(seconds, 0.99) * 1000).toFixed(0)} ms`,
);
const guardAlone = cases.filter(
  (item) => (guardScores.get(normalizeUntrusted(item.text).normalized) ?? 0) >= 0.5,
);
console.log(
  `guard alone (P >= 0.5): attacks ${guardAlone.filter((item) => item.attack).length}, benign ${guardAlone.filter((item) => !item.attack).length}`,
);
console.log('\n| way | attacks flagged | benign flagged |\n| --- | ---: | ---: |');
for (const [title, classifier] of ways) {
  const options = { threshold: 1, classifierWeight: 1, ...(classifier && { classifier }) };
  console.log(line(title, measure(cases, options)));
}
