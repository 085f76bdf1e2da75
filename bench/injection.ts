/**
 * Prompt-injection detection and false-positive rates on public corpora (docs/safety.md,
 * "Measured rates"): the rule packs alone, then with each classifier (llm_guardrail,
 * prompt_guardrail: `make models` exports it; jailguard and the trained minilm_head over the
 * MiniLM of `make models-fetch`) and with the lists of several (the highest probability
 * counting), at the default threshold, and the cost per request (p50, p99). The corpora are
 * fetched by scripts/fetch-injection-corpus.py into .tmp/injection-corpus; nothing is tuned on
 * them.
 *
 *   make bench-injection    or   node bench/injection.ts
 */
import {
  embeddingScorer,
  keptEmbeddings,
  minilmEncoder,
  type WindowEncoder,
} from '../dataplane/src/engine/injection-scores.ts';
import { minilmHead } from '../dataplane/src/security/injection-head.ts';
import { minilmTunedHead, verifiedOnnx } from '../dataplane/src/security/injection-tuned.ts';
import { jailguardHead } from '../dataplane/src/security/injection-jailguard.ts';
import {
  highestOf,
  injectionClassifier,
  scoredClassifier,
  type InjectionClassifier,
  type InjectionScores,
} from '../dataplane/src/security/injection-classifier.ts';
import type { InjectionOptions } from '../dataplane/src/security/sanitizer.ts';
import {
  fetchCorpus,
  flagged,
  loadCorpus,
  measure,
  scoreEach,
  type Rates,
} from '../tests/safety/injection-corpus.ts';

fetchCorpus();
const cases = loadCorpus();
const percent = (part: number, whole: number) =>
  whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)} %`;

function report(title: string, rates: Rates, ms: number): void {
  console.log(`\n## ${title}\n`);
  console.log('| corpus | category | attack? | texts | flagged | rate |');
  console.log('| --- | --- | --- | ---: | ---: | ---: |');
  for (const row of rates.rows) {
    console.log(
      `| ${row.corpus} | ${row.category} | ${row.attack ? 'attack' : 'benign'} | ${row.total} | ${row.flagged} | ${percent(row.flagged, row.total)} |`,
    );
  }
  console.log(
    `\nattacks flagged: ${rates.attacks.flagged} / ${rates.attacks.total} (${percent(rates.attacks.flagged, rates.attacks.total)})`,
  );
  console.log(
    `benign flagged:  ${rates.benign.flagged} / ${rates.benign.total} (${percent(rates.benign.flagged, rates.benign.total)})`,
  );
  console.log(`mean time per text: ${(ms / cases.length).toFixed(3)} ms`);
  console.log(`missed: ${rates.missed.join(', ') || 'none'}`);
  console.log(`false positives: ${rates.falsePositives.join(', ') || 'none'}`);
}

/** The p-th percentile of `values`, in ms. */
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ??
  0;

type Options = Omit<InjectionOptions, 'action'>;

/**
 * One request's cost per corpus text: the rules (and a TF-IDF classifier) in the sanitiser, and
 * first, each embedding classifier named scoring that text alone, as a request of one message
 * gets it: concurrently, over embeddings kept afresh for the row (engine/safety.ts's shared
 * ones), so a list naming two embeds a text once and no text is embedded before it is timed.
 */
async function perRequest(options: (scores: Scores) => Options, embedded: readonly Embedded[]) {
  const scorers = scorersOver(keptEmbeddings(encoder), keptEmbeddings(tunedEncoder));
  const times: number[] = [];
  for (const item of cases) {
    const start = performance.now();
    const scores: Scores = { jailguard: new Map(), head: new Map(), tuned: new Map() };
    await Promise.all(
      embedded.map(async (name) => (scores[name] = await scorers[name].score([item.text]))),
    );
    flagged(item, options(scores));
    times.push(performance.now() - start);
  }
  return `per request: p50 ${percentile(times, 0.5).toFixed(2)} ms, p99 ${percentile(times, 0.99).toFixed(2)} ms`;
}

/** The probabilities of the classifiers over a MiniLM embedding (the fine-tuned one's its own). */
interface Scores {
  jailguard: InjectionScores;
  head: InjectionScores;
  tuned: InjectionScores;
}
type Embedded = keyof Scores;
/** The MiniLM model, loaded once for every row. */
const encoder = minilmEncoder();
/** The fine-tuned encoder, loaded once for every row that names it. */
const tunedEncoder = minilmEncoder(undefined, verifiedOnnx);
const scorersOver = (embeddings: WindowEncoder, tunedEmbeddings: WindowEncoder) => ({
  jailguard: embeddingScorer(jailguardHead, embeddings),
  head: embeddingScorer(minilmHead, embeddings),
  tuned: embeddingScorer(minilmTunedHead, tunedEmbeddings),
});
const scorers = scorersOver(keptEmbeddings(encoder), keptEmbeddings(tunedEncoder));
await scorers.jailguard.score(['warm-up: the encoder loads']);
await scorers.tuned.score(['warm-up: the encoder loads']);
const corpusScores: Scores = {
  jailguard: await scoreEach(scorers.jailguard, cases),
  head: await scoreEach(scorers.head, cases),
  tuned: await scoreEach(scorers.tuned, cases),
};
const llmGuardrail = injectionClassifier('llm_guardrail');
const promptGuardrail = injectionClassifier('prompt_guardrail');
/** The policy's options with `classifier` as a gateway.yaml list builds it (engine/safety.ts). */
const withClassifiers =
  (...classifiers: ((scores: Scores) => InjectionClassifier)[]) =>
  (scores: Scores): Options => {
    const built = classifiers.map((classifier) => classifier(scores));
    return {
      threshold: 1,
      classifier: built.length > 1 ? highestOf(built) : built[0],
      classifierWeight: 1,
    };
  };
const jailguard = (scores: Scores) => scoredClassifier('jailguard', scores.jailguard);
const minilm = (scores: Scores) => scoredClassifier('minilm_head', scores.head);
const tuned = (scores: Scores) => scoredClassifier('minilm_tuned', scores.tuned);

const none: Embedded[] = [];
for (const [title, options, embedded] of [
  ['rules only (classifier: off)', withClassifiers(), none],
  [
    'rules + llm_guardrail (classifier: llm_guardrail, weight 1)',
    withClassifiers(() => llmGuardrail),
    none,
  ],
  [
    'rules + prompt_guardrail (classifier: prompt_guardrail, weight 1)',
    withClassifiers(() => promptGuardrail),
    none,
  ],
  [
    'rules + jailguard (classifier: jailguard, weight 1)',
    withClassifiers(jailguard),
    ['jailguard'],
  ],
  [
    'rules + the higher of jailguard and llm_guardrail (classifier: [jailguard, llm_guardrail], weight 1)',
    withClassifiers(jailguard, () => llmGuardrail),
    ['jailguard'],
  ],
  [
    'rules + the highest of all three (classifier: [jailguard, llm_guardrail, prompt_guardrail], weight 1)',
    withClassifiers(
      jailguard,
      () => llmGuardrail,
      () => promptGuardrail,
    ),
    ['jailguard'],
  ],
  ['rules + minilm_head (classifier: minilm_head, weight 1)', withClassifiers(minilm), ['head']],
  [
    'rules + the highest of minilm_head, jailguard and llm_guardrail (classifier: [minilm_head, jailguard, llm_guardrail], weight 1)',
    withClassifiers(minilm, jailguard, () => llmGuardrail),
    ['head', 'jailguard'],
  ],
  ['rules + minilm_tuned (classifier: minilm_tuned, weight 1)', withClassifiers(tuned), ['tuned']],
  [
    'rules + the highest of minilm_tuned, jailguard and llm_guardrail (classifier: [minilm_tuned, jailguard, llm_guardrail], weight 1)',
    withClassifiers(tuned, jailguard, () => llmGuardrail),
    ['tuned', 'jailguard'],
  ],
] as const) {
  const corpusOptions = options(corpusScores);
  measure(cases, corpusOptions); // warm-up: compiled patterns, loaded models
  const start = performance.now();
  const rates = measure(cases, corpusOptions);
  report(title, rates, performance.now() - start);
  console.log(await perRequest(options, embedded));
}

/** Scan cost per KB on long texts of four kinds (a tool result or a retrieved document). */
const LONG: Record<string, string> = {
  'English prose':
    'The quick brown fox jumps over the lazy dog. Please summarise the document and send it to the team. ',
  'French prose':
    "Oubliez la réunion de demain, elle est annulée. Je vous envoie le compte rendu à l'équipe. ",
  'Chinese prose': '今天天气很好，我们去公园散步吧。',
  HTML: '<div class="x"><!-- note --><p>Hello &amp; welcome</p></div>\n',
};
console.log('\n## scan cost on 64 KB texts (rules only)\n');
for (const [name, unit] of Object.entries(LONG)) {
  const text = unit.repeat(Math.ceil((64 * 1024) / unit.length)).slice(0, 64 * 1024);
  const options = { threshold: 1 };
  flagged({ corpus: '', id: '', attack: false, category: '', role: 'tool', text }, options);
  const start = performance.now();
  flagged({ corpus: '', id: '', attack: false, category: '', role: 'tool', text }, options);
  console.log(`${name}: ${((performance.now() - start) / 64).toFixed(2)} ms per KB`);
}
