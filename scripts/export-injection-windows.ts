/**
 * Writes the injection training examples (scripts/injection-training.ts: the gateway's windows
 * of each text, near-duplicates of the measured corpora dropped, a fifth held out) to
 * .tmp/injection-training/windows.jsonl for scripts/train-injection-tuned.py, with how many
 * texts were dropped to windows.dropped.json.
 *
 *   node scripts/export-injection-windows.ts    (make train-injection-tuned runs it)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRAINING_DIR, trainingExamples } from './injection-training.ts';

const { examples, dropped } = await trainingExamples();
const lines = examples.map(({ windows, label, source, heldOut }) =>
  JSON.stringify({ windows, label, source, heldOut }),
);
writeFileSync(join(TRAINING_DIR, 'windows.jsonl'), `${lines.join('\n')}\n`);
writeFileSync(join(TRAINING_DIR, 'windows.dropped.json'), `${JSON.stringify(dropped)}\n`);
console.log(
  `${examples.length} examples; dropped as near-duplicates of the measured corpora:`,
  dropped,
);
