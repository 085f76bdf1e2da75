/**
 * The injection classifiers' training examples, as both trainers read them
 * (scripts/train-injection-head.ts, and scripts/train-injection-tuned.py through the windows
 * file this module writes): each text of .tmp/injection-training/training.jsonl
 * (scripts/fetch-injection-training.py) normalised and cut into the windows the gateway scores
 * (engine/injection-scores.ts), at most {@link MAX_WINDOWS} of them.
 *
 * - Any text with a window within cosine {@link NEAR_DUPLICATE} of a window of the benchmark's
 *   corpora (scripts/fetch-injection-corpus.py) is dropped, so that the measurement stays blind;
 *   the corpora are read for that and nothing else.
 * - A fifth of each source (by the text's sha256) is held out.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minilmEncoder, windowsOf } from '../dataplane/src/engine/injection-scores.ts';
import { normalizeUntrusted } from '../dataplane/src/security/sanitizer.ts';
import { fetchCorpus, loadCorpus } from '../tests/safety/injection-corpus.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
export const TRAINING_DIR =
  process.env['INJECTION_TRAINING_DIR'] ?? join(repo, '.tmp/injection-training');
export const DATA = join(TRAINING_DIR, 'training.jsonl');
/** At most this many windows of one training text are read. */
export const MAX_WINDOWS = 8;
export const NEAR_DUPLICATE = 0.9;

interface Row {
  text: string;
  label: 0 | 1;
  source: string;
}
export interface Example extends Row {
  windows: string[];
  /** The all-MiniLM-L6-v2 embedding of each window. */
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
export const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += (a[index] ?? 0) * (b[index] ?? 0);
  return sum;
};

/** The examples kept, and how many texts of each source were dropped as near-duplicates. */
export async function trainingExamples(): Promise<{
  examples: Example[];
  dropped: Record<string, number>;
}> {
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
    const texts = windows(row.text);
    const vectors = await embed(texts);
    const near = vectors.some((vector) =>
      measured.some((other) => dot(vector, other) >= NEAR_DUPLICATE),
    );
    if (near) {
      dropped[row.source] = (dropped[row.source] ?? 0) + 1;
      continue;
    }
    const digest = createHash('sha256').update(row.text).digest();
    examples.push({ ...row, windows: texts, vectors, heldOut: (digest[0] ?? 0) < 51 });
    if (index % 500 === 0) {
      console.error(
        `embedded ${index} / ${rows.length} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
      );
    }
  }
  return { examples, dropped };
}
