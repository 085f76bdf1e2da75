/**
 * Trains the `minilm_head` injection classifier (dataplane/src/security/injection-head.ts): a
 * logistic regression over the all-MiniLM-L6-v2 embedding of a text's windows, the likeliest
 * window counting, as the gateway reads it (engine/injection-scores.ts).
 *
 * - Data: .tmp/injection-training/training.jsonl (scripts/fetch-injection-training.py).
 * - Any training text with a window within cosine 0.9 of a window of the benchmark's corpora
 *   (scripts/fetch-injection-corpus.py) is dropped first, so that the measurement stays blind;
 *   the corpora are read for that and nothing else.
 * - A fifth of each source (by the text's sha256) is held out and measured.
 * - Multiple-instance learning: a benign text teaches that none of its windows is an attack
 *   (each window weighing 1/n); an attack that its likeliest window is one. Both classes weigh
 *   the same in all; L2 penalty; Adam, full batch, a fixed number of epochs: deterministic.
 *
 *   make train-injection-head    or   node scripts/train-injection-head.ts
 *
 * Writes models/minilm-head/head.json and prints its sha256 for injection-head.ts.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minilmEncoder, windowsOf } from '../dataplane/src/engine/injection-scores.ts';
import { MINILM_DIMENSIONS, type HeadFile } from '../dataplane/src/security/injection-head.ts';
import { normalizeUntrusted } from '../dataplane/src/security/sanitizer.ts';
import { fetchCorpus, loadCorpus } from '../tests/safety/injection-corpus.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const DATA = join(
  process.env['INJECTION_TRAINING_DIR'] ?? join(repo, '.tmp/injection-training'),
  'training.jsonl',
);
const OUT = join(repo, 'models/minilm-head/head.json');
/** At most this many windows of one training text are embedded. */
const MAX_WINDOWS = 8;
const NEAR_DUPLICATE = 0.9;
const EPOCHS = 400;
const LEARNING_RATE = 0.05;
const L2 = 1e-4;

interface Row {
  text: string;
  label: 0 | 1;
  source: string;
}
interface Example extends Row {
  vectors: Float32Array[];
  heldOut: boolean;
}

const encoder = minilmEncoder();
async function embed(texts: string[]): Promise<Float32Array[]> {
  const model = await encoder();
  const vectors: Float32Array[] = [];
  for (let start = 0; start < texts.length; start += 32) {
    const result = await model.embed(texts.slice(start, start + 32), undefined);
    for (const vector of result.vectors) vectors.push(Float32Array.from(vector));
  }
  return vectors;
}
const windows = (text: string) =>
  windowsOf(normalizeUntrusted(text).normalized).slice(0, MAX_WINDOWS);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
};

const rows = readFileSync(DATA, 'utf8')
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line) as Row);
fetchCorpus();
const measured = await embed(loadCorpus().flatMap((item) => windows(item.text)));

const examples: Example[] = [];
const dropped: Record<string, number> = {};
const started = performance.now();
for (const [index, row] of rows.entries()) {
  const vectors = await embed(windows(row.text));
  const near = vectors.some((vector) =>
    measured.some((other) => dot(vector, other) >= NEAR_DUPLICATE),
  );
  if (near) {
    dropped[row.source] = (dropped[row.source] ?? 0) + 1;
    continue;
  }
  const digest = createHash('sha256').update(row.text).digest();
  examples.push({ ...row, vectors, heldOut: (digest[0] ?? 0) < 51 });
  if (index % 500 === 0) {
    console.error(
      `embedded ${index} / ${rows.length} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
}

const train = examples.filter((example) => !example.heldOut);
const weights = new Float64Array(MINILM_DIMENSIONS);
let bias = 0;
const logit = (vector: Float32Array) => bias + dot(weights, vector);
const positives = train.filter((example) => example.label === 1).length;
const negatives = train.length - positives;

// Adam over (weights, bias).
const m = new Float64Array(MINILM_DIMENSIONS + 1);
const v = new Float64Array(MINILM_DIMENSIONS + 1);
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const gradient = new Float64Array(MINILM_DIMENSIONS + 1);
  let loss = 0;
  const step = (vector: Float32Array, label: number, weight: number) => {
    const z = logit(vector);
    const p = 1 / (1 + Math.exp(-z));
    loss -= weight * (label === 1 ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
    const error = weight * (p - label);
    for (let index = 0; index < MINILM_DIMENSIONS; index++) {
      gradient[index] = (gradient[index] ?? 0) + error * (vector[index] ?? 0);
    }
    gradient[MINILM_DIMENSIONS] = (gradient[MINILM_DIMENSIONS] ?? 0) + error;
  };
  for (const example of train) {
    if (example.label === 1) {
      // Its likeliest window is the attack.
      let best = example.vectors[0];
      for (const vector of example.vectors) if (best && logit(vector) > logit(best)) best = vector;
      if (best) step(best, 1, 0.5 / positives);
    } else {
      for (const vector of example.vectors) {
        step(vector, 0, 0.5 / negatives / example.vectors.length);
      }
    }
  }
  for (let index = 0; index <= MINILM_DIMENSIONS; index++) {
    const parameter = index < MINILM_DIMENSIONS ? (weights[index] ?? 0) : bias;
    const g = (gradient[index] ?? 0) + (index < MINILM_DIMENSIONS ? L2 * parameter : 0);
    m[index] = 0.9 * (m[index] ?? 0) + 0.1 * g;
    v[index] = 0.999 * (v[index] ?? 0) + 0.001 * g * g;
    const mHat = (m[index] ?? 0) / (1 - 0.9 ** epoch);
    const vHat = (v[index] ?? 0) / (1 - 0.999 ** epoch);
    const update = (LEARNING_RATE * mHat) / (Math.sqrt(vHat) + 1e-8);
    if (index < MINILM_DIMENSIONS) weights[index] = parameter - update;
    else bias -= update;
  }
  if (epoch % 100 === 0) console.error(`epoch ${epoch}: loss ${loss.toFixed(4)}`);
}

/** P(attack) of an example: its likeliest window. */
const probability = (example: Example) =>
  Math.max(...example.vectors.map((vector) => 1 / (1 + Math.exp(-logit(vector)))));
const bySource: Record<
  string,
  { label: number; train: number; heldOut: number; flaggedHeldOut: number }
> = {};
for (const example of examples) {
  const entry = (bySource[example.source] ??= {
    label: example.label,
    train: 0,
    heldOut: 0,
    flaggedHeldOut: 0,
  });
  if (example.heldOut) {
    entry.heldOut++;
    if (probability(example) >= 0.5) entry.flaggedHeldOut++;
  } else entry.train++;
}
const held = examples.filter((example) => example.heldOut);
const rate = (label: number) => {
  const group = held.filter((example) => example.label === label);
  return `${group.filter((example) => probability(example) >= 0.5).length} / ${group.length}`;
};
console.log(`held out, P >= 0.5: attacks ${rate(1)}, benign ${rate(0)}`);
console.table(bySource);
console.log('dropped as near-duplicates of the measured corpora:', dropped);

const file: HeadFile = {
  weights: [...weights].map((value) => Number(value.toFixed(6))),
  bias: Number(bias.toFixed(6)),
  training: {
    data: createHash('sha256').update(readFileSync(DATA)).digest('hex'),
    epochs: EPOCHS,
    learningRate: LEARNING_RATE,
    l2: L2,
    nearDuplicate: NEAR_DUPLICATE,
    dropped,
    sources: bySource,
  },
};
const json = `${JSON.stringify(file)}\n`;
writeFileSync(OUT, json);
console.log(`${OUT}: sha256 ${createHash('sha256').update(json).digest('hex')}`);
