/**
 * Local inference (docs/benchmarks.md, "Local models"): SmolLM2-135M-Instruct on llama.cpp
 * through the local provider, against bare node-llama-cpp on the same binary and weights (the
 * ceiling: the prompt's tokens evaluated and 128 tokens sampled greedily on one sequence, no
 * chat wrapper, no provider); and its ONNX export (fp32, int8, q4) through the local provider.
 * Per variant, in a fresh process: load time, resident memory added by the loaded model (after
 * one warm-up answer), time to first token, prompt and generation tokens/s (median of 2 runs,
 * each prompt made distinct at its start so no run reuses another's cache); then 4 parallel
 * streams on llama.cpp (its 4 sequences) and on ONNX q4. BENCH_ROUNDS rounds (3) run every
 * variant in a shuffled order; the table has the medians over rounds, and each variant's
 * generation rate over bare llama.cpp's in the same round (the machine is shared: a round's
 * neighbours load it as much as the variants do).
 *
 *   make bench-local     (needs `make models`)   or   node bench/local.ts [variant]
 *
 * Raw figures go to bench/results/local-<time>.json.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JinjaTemplateChatWrapper, type Token } from 'node-llama-cpp';
import type { ChatMessage } from '../dataplane/src/core/types.ts';
import { llamaRuntime } from '../dataplane/src/providers/local/llama-runtime.ts';
import { createLocalProvider } from '../dataplane/src/providers/local/local.ts';
import { cachedModel, modelCacheDir } from '../dataplane/src/providers/local/model-cache.ts';
import { machineLine } from './stats.ts';

const VARIANTS = ['llama-bare', 'llama', 'onnx-fp32', 'onnx-int8', 'onnx-q4'] as const;
type Variant = (typeof VARIANTS)[number];
const RUNS = 2;
const GENERATE = 64;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const PARALLEL = 4;
const gguf = cachedModel('smollm2-135m-instruct').id;
const onnxDir = join(modelCacheDir(), 'smollm2-135m-instruct-onnx');
const ARTICLE =
  'The gateway routes every request to a model. A route is a list of targets, and the first healthy target serves the answer. ' +
  'When a provider fails before the first token, the next target takes over and the client never knows. When it fails later, ' +
  'the stream ends with an error, or the next target continues the answer. The local model runs inside the gateway, on the CPU ' +
  'or on a GPU when one is present. Tokens stream one by one, and the cache keeps the keys and values of the past. ';

/** A prompt of ~200 tokens, distinct from its first words on. */
const messages = (run: number): ChatMessage[] => [
  { role: 'system', content: `Session ${run}. You are a helpful assistant.` },
  { role: 'user', content: `${ARTICLE.repeat(2)}\nRetell this text as a long story.` },
];

interface Run {
  promptTokens: number;
  outputTokens: number;
  ttftMs: number;
  totalMs: number;
}
interface Figures {
  variant: Variant;
  loadMs: number;
  rssMiB: number;
  runs: Run[];
  parallel?: { streams: number; outputTokens: number; wallMs: number };
}

const rss = () => process.memoryUsage.rss() / 2 ** 20;

async function measure(variant: Variant): Promise<Figures> {
  const before = rss();
  const started = performance.now();
  if (variant === 'llama-bare') return bare(before, started);
  const local = createLocalProvider({
    modelsDir: fileURLToPath(new URL('../models', import.meta.url)),
  });
  const model = variant === 'llama' ? gguf : `${onnxDir}?dtype=${variant.replace('onnx-', '')}`;
  if (variant !== 'llama') await local.load(model);
  const answer = async (run: number): Promise<Run> => {
    const start = performance.now();
    let first: number | undefined;
    for await (const chunk of local.stream(
      { model, messages: messages(run), maxTokens: GENERATE },
      new AbortController().signal,
    )) {
      if (chunk.type === 'text') first ??= performance.now();
      else {
        const end = performance.now();
        return {
          promptTokens: chunk.usage.inputTokens,
          outputTokens: chunk.usage.outputTokens,
          ttftMs: (first ?? end) - start,
          totalMs: end - start,
        };
      }
    }
    throw new Error('no done chunk');
  };
  await answer(0); // Loads llama.cpp's model, warms both runtimes.
  const loadMs = performance.now() - started;
  const rssMiB = rss() - before;
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) runs.push(await answer(run));
  let parallel: Figures['parallel'];
  if (variant === 'llama' || variant === 'onnx-q4') {
    const start = performance.now();
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, (_, index) => answer(100 + index)),
    );
    parallel = {
      streams: PARALLEL,
      outputTokens: answers.reduce((sum, item) => sum + item.outputTokens, 0),
      wallMs: performance.now() - start,
    };
  }
  await local.close();
  return { variant, loadMs, rssMiB, runs, ...(parallel === undefined ? {} : { parallel }) };
}

/** The same prompt's tokens on one bare sequence: evaluate, then sample greedily. */
async function bare(before: number, started: number): Promise<Figures> {
  const { llama } = await llamaRuntime();
  const model = await llama.loadModel({ modelPath: gguf });
  const context = await model.createContext({
    contextSize: 2048,
    threads: availableParallelism(),
  });
  const sequence = context.getSequence();
  // The provider's wrapper: the GGUF's own chat template, so both see the same tokens.
  const wrapper = new JinjaTemplateChatWrapper({
    template: model.fileInfo.metadata.tokenizer.chat_template ?? '',
  });
  const tokens = (run: number): Token[] => {
    const history = [
      ...messages(run).map((message) =>
        message.role === 'system'
          ? { type: 'system' as const, text: message.content }
          : { type: 'user' as const, text: message.content },
      ),
      { type: 'model' as const, response: [] },
    ];
    const { contextText } = wrapper.generateContextState({ chatHistory: history });
    return contextText.tokenize(model.tokenizer);
  };
  const answer = async (run: number): Promise<Run> => {
    await sequence.clearHistory();
    const prompt = tokens(run);
    const start = performance.now();
    let first: number | undefined;
    const generated: Token[] = [];
    for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
      first ??= performance.now();
      if (generated.push(token) === GENERATE) break;
    }
    const end = performance.now();
    return {
      promptTokens: prompt.length,
      outputTokens: generated.length,
      ttftMs: (first ?? end) - start,
      totalMs: end - start,
    };
  };
  await answer(0);
  const loadMs = performance.now() - started;
  const rssMiB = rss() - before;
  const runs: Run[] = [];
  for (let run = 1; run <= RUNS; run++) runs.push(await answer(run));
  await context.dispose();
  await model.dispose();
  return { variant: 'llama-bare', loadMs, rssMiB, runs };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

interface Rates {
  prompt: number;
  generation: number;
  ttft: number;
}

function rates(figures: Figures): Rates {
  return {
    prompt: median(figures.runs.map((run) => run.promptTokens / (run.ttftMs / 1000))),
    generation: median(
      figures.runs.map((run) => (run.outputTokens - 1) / ((run.totalMs - run.ttftMs) / 1000)),
    ),
    ttft: median(figures.runs.map((run) => run.ttftMs)),
  };
}

/**
 * A table row over the rounds: medians of each round's figures; `vs bare` is the median of each
 * round's generation rate over bare llama.cpp's in that round (shuffled order, same machine).
 */
function row(variant: Variant, rounds: { figures: Figures; bare: Rates }[]): string {
  const own = rounds.map(({ figures }) => rates(figures));
  const pick = (value: (item: (typeof rounds)[number], index: number) => number) =>
    median(rounds.map((item, index) => value(item, index)));
  const parallel = rounds.flatMap(({ figures }) =>
    figures.parallel === undefined
      ? []
      : [figures.parallel.outputTokens / (figures.parallel.wallMs / 1000)],
  );
  const first = rounds[0]?.figures.runs[0];
  return `| ${variant} | ${pick(({ figures }) => figures.loadMs).toFixed(0)} ms | ${pick(({ figures }) => figures.rssMiB).toFixed(0)} MiB | ${first?.promptTokens ?? 0} → ${first?.outputTokens ?? 0} | ${pick((_, index) => own[index]?.ttft ?? Number.NaN).toFixed(0)} ms | ${pick((_, index) => own[index]?.prompt ?? Number.NaN).toFixed(0)} | ${pick((_, index) => own[index]?.generation ?? Number.NaN).toFixed(1)} | ${pick(({ bare }, index) => (own[index]?.generation ?? Number.NaN) / bare.generation).toFixed(2)} | ${parallel.length === 0 ? '—' : `${median(parallel).toFixed(1)} tok/s total`} |`;
}

/** One variant in a child process, so that each resident-memory figure is its own. */
function child(variant: Variant): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [fileURLToPath(import.meta.url), variant], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    process_.stdout.on('data', (data: Buffer) => (out += data.toString('utf8')));
    process_.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(JSON.parse(line) as Figures);
      else reject(new Error(`${variant} exited ${code}: ${out}`));
    });
  });
}

const only = process.argv[2] as Variant | undefined;
if (only !== undefined) {
  if (!VARIANTS.includes(only)) throw new Error(`variant is one of ${VARIANTS.join(', ')}`);
  console.log(JSON.stringify(await measure(only)));
} else {
  console.log(await machineLine());
  console.log(
    `method: SmolLM2-135M-Instruct (${gguf}); a ~200-token chat prompt, ${GENERATE} greedy tokens at most, ${RUNS} runs (median) per process, ${ROUNDS} rounds in shuffled order (median), ` +
      `each variant in its own process, threads = ${availableParallelism()}; parallel: ${PARALLEL} streams at once.`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const rounds: Figures[][] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...VARIANTS].sort(() => Math.random() - 0.5);
    const figures: Figures[] = [];
    for (const variant of order) figures.push(await child(variant));
    rounds.push(figures);
    console.log(`round ${round + 1}: ${order.join(', ')}`);
  }
  console.log(
    '| variant | load + first answer | memory (RSS added) | tokens in → out | TTFT | prompt tok/s | generation tok/s | vs bare | 4 parallel streams |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const variant of VARIANTS) {
    const byRound = rounds.map((figures) => {
      const own = figures.find((item) => item.variant === variant);
      const bare = figures.find((item) => item.variant === 'llama-bare');
      if (own === undefined || bare === undefined) throw new Error(`${variant} is missing`);
      return { figures: own, bare: rates(bare) };
    });
    console.log(row(variant, byRound));
  }
  console.log(
    `load average after: ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const results = rounds;
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const file = join(dir, `local-${new Date().toISOString().replaceAll(':', '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`raw: ${file}`);
}
