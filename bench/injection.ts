/**
 * Prompt-injection detection and false-positive rates on public corpora (docs/safety.md,
 * "Measured rates"): the rule packs alone, then with each classifier (llm_guardrail,
 * prompt_guardrail: `make models` exports it), at the default threshold. The corpora are fetched by scripts/fetch-injection-corpus.py into
 * .tmp/injection-corpus; nothing is tuned on them.
 *
 *   make bench-injection    or   node bench/injection.ts
 */
import { injectionClassifier } from '../dataplane/src/security/injection-classifier.ts';
import {
  fetchCorpus,
  flagged,
  loadCorpus,
  measure,
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

for (const [title, options] of [
  ['rules only (classifier: off)', { threshold: 1 }],
  [
    'rules + llm_guardrail (classifier: llm_guardrail, weight 1)',
    { threshold: 1, classifier: injectionClassifier('llm_guardrail'), classifierWeight: 1 },
  ],
  [
    'rules + prompt_guardrail (classifier: prompt_guardrail, weight 1)',
    { threshold: 1, classifier: injectionClassifier('prompt_guardrail'), classifierWeight: 1 },
  ],
] as const) {
  measure(cases, options); // warm-up: compiled patterns, loaded models
  const start = performance.now();
  const rates = measure(cases, options);
  report(title, rates, performance.now() - start);
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
