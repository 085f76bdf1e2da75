/**
 * PII and secrets scan cost per KB (docs/benchmarks.md, "PII scan"): findPii and the stream
 * redactor over four kinds of text, against two baselines measured in the same run: one regex
 * pass over the same text (`/\d/g`, the cheapest scan there is) and the detectors as they were
 * before issue 22 (commit 96c3aa9, read from git into bench/results/pii-baseline/).
 *
 *   make bench-pii    or   node bench/pii.ts [rounds=5]
 *
 * Raw figures go to bench/results/pii-<time>.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createStreamRedactor, findPii } from '../dataplane/src/security/pii.ts';
import { BENIGN_CASES } from '../tests/safety/pii-corpus-benign.ts';
import { ID_CASES } from '../tests/safety/pii-corpus-ids.ts';
import { PERSONAL_CASES } from '../tests/safety/pii-corpus-personal.ts';
import { SECRET_CASES } from '../tests/safety/pii-corpus-secrets.ts';
import { machineLine } from './stats.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const SIZE = 16 * 1024;
const CHUNK = 8;

/** The text `parts` repeat into, cut to SIZE characters. */
const fill = (parts: readonly string[]) => {
  let text = '';
  for (let index = 0; text.length < SIZE; index += 1) text += `${parts[index % parts.length]}\n`;
  return text.slice(0, SIZE);
};

const PROSE =
  'The quarterly review covers the migration of the billing service, the new retry policy ' +
  'for upstream timeouts and the plan for the next release. Please summarise the open ' +
  'questions and list who owns each of them, with the dates we agreed on last week.';
const TEXTS: Record<string, string> = {
  'English prose, no PII': fill([PROSE]),
  'logs and code (benign look-alikes)': fill(BENIGN_CASES.map((c) => c.text)),
  'PII-dense (every corpus positive)': fill(
    [...PERSONAL_CASES, ...ID_CASES, ...SECRET_CASES].map((c) => c.text),
  ),
  'Chinese prose': fill(['请在三点前回复，谢谢。我们下周讨论账单服务的迁移和新的重试策略。']),
};

interface Baseline {
  scan: (text: string) => unknown;
  stream: (text: string) => string;
}

async function baselineDetectors(): Promise<Baseline> {
  const dir = `${repo}bench/results/pii-baseline/`;
  await mkdir(dir, { recursive: true });
  for (const file of ['pii-detectors.ts', 'pii-checks.ts', 'pii-redact.ts', 'pii-stream.ts']) {
    const source = execFileSync('git', ['show', `96c3aa9:dataplane/src/security/${file}`], {
      cwd: repo,
      encoding: 'utf8',
    });
    await writeFile(`${dir}${file}`, source);
  }
  const old = (await import(`${dir}pii-detectors.ts`)) as {
    scanPii(text: string): never[];
    resolvePii(candidates: never[]): unknown[];
  };
  const oldStream = (await import(`${dir}pii-stream.ts`)) as {
    createStreamRedactor: typeof createStreamRedactor;
  };
  return {
    scan: (text) => old.resolvePii(old.scanPii(text)),
    stream: (text) => streamed(text, oldStream.createStreamRedactor),
  };
}

/** Microseconds per KB of `run` over `text`, best of enough repetitions to last ~50 ms. */
function perKb(text: string, run: (text: string) => unknown): number {
  run(text);
  let repetitions = 1;
  for (;;) {
    const started = performance.now();
    for (let index = 0; index < repetitions; index += 1) run(text);
    const elapsed = performance.now() - started;
    if (elapsed > 50) return (elapsed * 1000) / repetitions / (text.length / 1024);
    repetitions *= 2;
  }
}

function streamed(text: string, create = createStreamRedactor): string {
  const redactor = create();
  let output = '';
  for (let at = 0; at < text.length; at += CHUNK)
    output += redactor.push(text.slice(at, at + CHUNK));
  return output + redactor.flush();
}

const DIGITS = /\d/g;
const before = await baselineDetectors();
const systems: Record<string, (text: string) => unknown> = {
  'one regex pass (baseline)': (text) => text.match(DIGITS),
  'findPii before issue 22 (baseline)': before.scan,
  findPii: (text) => findPii(text),
  [`stream redactor before issue 22, ${CHUNK}-character chunks (baseline)`]: before.stream,
  [`stream redactor, ${CHUNK}-character chunks`]: (text) => streamed(text),
};

console.log(await machineLine());
console.log(
  `method: ${Object.keys(TEXTS).length} texts of ${SIZE / 1024} KB; per round, every system ` +
    `over every text in a shuffled order, each timed over enough repetitions to last 50 ms ` +
    `(µs per KB); ${rounds} rounds, the median reported; in process, one core.`,
);

const samples: Record<string, Record<string, number[]>> = {};
for (let round = 0; round < rounds; round += 1) {
  const pairs = Object.keys(systems).flatMap((system) =>
    Object.keys(TEXTS).map((text) => [system, text] as const),
  );
  pairs.sort(() => Math.random() - 0.5);
  for (const [system, text] of pairs) {
    const value = perKb(TEXTS[text] ?? '', systems[system] ?? (() => undefined));
    ((samples[system] ??= {})[text] ??= []).push(value);
  }
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN;
console.log(`\n| system | ${Object.keys(TEXTS).join(' | ')} |`);
console.log(`| --- |${' --- |'.repeat(Object.keys(TEXTS).length)}`);
for (const system of Object.keys(systems)) {
  const cells = Object.keys(TEXTS).map((text) => {
    const value = median(samples[system]?.[text] ?? []);
    const base = median(samples['one regex pass (baseline)']?.[text] ?? []);
    return `${value.toFixed(1)} µs/KB (${(value / base).toFixed(0)}×)`;
  });
  console.log(`| ${system} | ${cells.join(' | ')} |`);
}
await mkdir(`${repo}bench/results`, { recursive: true });
const out = `${repo}bench/results/pii-${new Date().toISOString().replaceAll(':', '-')}.json`;
await writeFile(out, JSON.stringify({ rounds, size: SIZE, chunk: CHUNK, samples }, null, 2));
console.log(`\nraw: ${out}`);
