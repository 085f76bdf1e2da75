/**
 * The `minilm_tuned` classifier: all-MiniLM-L6-v2 fine-tuned in this repository, encoder and
 * head together (scripts/train-injection-tuned.py), on the same public texts as minilm_head
 * (scripts/fetch-injection-training.py), none from the corpora it is measured on. Its encoder is
 * models/minilm-tuned/model_int8.onnx (read with the model cache's MiniLM tokenizer and config),
 * its head models/minilm-tuned/head.json (a logistic regression over the encoder's mean-pooled,
 * L2-normalised embedding); both are checked by sha256 (models/minilm-tuned/README.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LogisticHead } from './injection-head.ts';

const file = (name: string) =>
  fileURLToPath(new URL(`../../../models/minilm-tuned/${name}`, import.meta.url));
export const MINILM_TUNED_ONNX = file('model_int8.onnx');
export const MINILM_TUNED_HEAD = file('head.json');
/** The committed files' sha256; another file is refused. */
export const MINILM_TUNED_ONNX_SHA256 =
  '9ea6505fa53f589d5219800c178939bceff830445f029d0013be6b191644dfbc';
export const MINILM_TUNED_HEAD_SHA256 =
  'db7e79fa4b23440f0849fb4ed298f99dd70efa3f1fb5c4d525577f301b98d8a1';

/**
 * `path`, once its sha256 is `sha256`.
 * @throws Error naming the file and both digests when it is another file.
 */
export function verifiedOnnx(path = MINILM_TUNED_ONNX, sha256 = MINILM_TUNED_ONNX_SHA256): string {
  const actual = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (actual !== sha256) {
    throw new Error(`${path}: sha256 ${actual} is not the fine-tuned encoder's (${sha256})`);
  }
  return path;
}

let head: LogisticHead | undefined;

/** The committed head, read once per process. */
export function minilmTunedHead(): LogisticHead {
  head ??= LogisticHead.load(MINILM_TUNED_HEAD, MINILM_TUNED_HEAD_SHA256);
  return head;
}
