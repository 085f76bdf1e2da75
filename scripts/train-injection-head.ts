/**
 * Trains the `minilm_head` injection classifier (dataplane/src/security/injection-head.ts): a
 * logistic regression over the all-MiniLM-L6-v2 embedding of a text's windows, the likeliest
 * window counting, as the gateway reads it (engine/injection-scores.ts).
 *
 * - Data: the examples of scripts/injection-training.ts (near-duplicates of the measured
 *   corpora dropped, a fifth of each source held out and measured).
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
import { MINILM_DIMENSIONS, type HeadFile } from '../dataplane/src/security/injection-head.ts';
import { DATA, NEAR_DUPLICATE, dot, trainingExamples, type Example } from './injection-training.ts';

const OUT = join(fileURLToPath(new URL('../', import.meta.url)), 'models/minilm-head/head.json');
const EPOCHS = 400;
const LEARNING_RATE = 0.05;
const L2 = 1e-4;

const { examples, dropped } = await trainingExamples();

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
