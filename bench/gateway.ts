/**
 * Gateway overhead (docs/benchmarks.md, BENCHMARKS.md): direct-to-mock, a raw fastify + undici
 * proxy, Portkey, and our dataplane with the minimal and the full pipeline, in shuffled
 * rounds, each figure against the baseline of its own round. The systems under test run one
 * at a time on core 1; the mock, Redis and this load generator share core 0.
 *
 *   make bench-gateway                 (installs bench/systems first)
 *   node bench/gateway.ts              environment:
 *     BENCH_ROUNDS=3                   rounds; a round whose direct baseline moved > 10 % is dropped
 *     BENCH_SYSTEMS=direct,raw-proxy,portkey,ours-minimal,ours-full[,ours-full-builtin]
 *     BENCH_QUICK=1                    a smoke run: short phases, one round
 *     BENCH_JSON_CHUNKS=64             SSE chunks behind a non-streaming answer (see workload.ts)
 *   node bench/gateway.ts --report bench/results/gateway-<time>.json    re-renders a run's tables
 *
 * Prints the method, the machine line, per-round progress and the tables; writes the raw
 * figures to bench/results/gateway-<time>.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_MEASURE,
  MAX_SEND_LAG_MS,
  measureSystem,
  type MeasureOptions,
} from './gateway/measure.ts';
import {
  checkAims,
  markDiscarded,
  renderAims,
  renderTables,
  summarizeRounds,
  type Round,
} from './gateway/report.ts';
import {
  DEFAULT_SYSTEMS,
  startSystem,
  SYSTEM_NAMES,
  type Environment,
  type SystemName,
} from './gateway/systems.ts';
import { JSON_MODEL, STREAM_MODEL } from './gateway/workload.ts';
import { CORE_LOAD, CORE_SUT, pinSelf, readyPort, spawnPinned } from './support/processes.ts';
import { startRedis } from './support/redis.ts';
import { machineLine } from './stats.ts';

const repo = fileURLToPath(new URL('../', import.meta.url));
const results = `${repo}bench/results/`;
const quick = process.env['BENCH_QUICK'] === '1';
const rounds = Number(process.env['BENCH_ROUNDS'] ?? (quick ? 1 : 3));
const systems = (process.env['BENCH_SYSTEMS']?.split(',') ?? DEFAULT_SYSTEMS).map((name) => {
  if (!(SYSTEM_NAMES as readonly string[]).includes(name))
    throw new Error(`unknown system ${name}`);
  return name as SystemName;
});
const options: MeasureOptions = quick
  ? {
      ...DEFAULT_MEASURE,
      latencyRequests: 200,
      streams: 5,
      peakSeconds: 2,
      stepMs: 500,
      settleMs: 500,
    }
  : DEFAULT_MEASURE;

if (process.argv[2] === '--report') {
  const file = process.argv[3];
  if (file === undefined) throw new Error('--report needs a results file');
  const saved = JSON.parse(await readFile(file, 'utf8')) as {
    machine: string;
    method: string;
    systems: SystemName[];
    rounds: Round[];
  };
  console.log(`${saved.machine}\n${saved.method}`);
  for (const round of saved.rounds) delete round.discarded;
  report(saved.rounds, saved.systems);
} else {
  await run();
}

async function run(): Promise<void> {
  pinSelf(CORE_LOAD);
  const method = [
    `method: ${rounds} round(s), systems in shuffled order per round, each started fresh and pinned to core ${CORE_SUT};`,
    `  mock upstream, Redis and load generator pinned to core ${CORE_LOAD}; all traffic on 127.0.0.1.`,
    `  1 connection: ${options.latencyRequests} sequential non-streaming requests (mock model ${JSON_MODEL}), ${options.streams} sequential streams (${STREAM_MODEL}).`,
    `  peak: autocannon, ${options.peakConnections} connections, ${options.peakSeconds} s (retried at a quarter of the connections when >= 1 % failed);`,
    `  open loop: fixed rate at ${options.ladder.map((x) => `${Math.round(x * 100)}%`).join('/')} of the round's peak, ${options.stepMs}-${options.maxStepMs} ms a step (${options.stepSamples} requests where that fits) after 500 ms unrecorded,`,
    `    latency from the scheduled send time; a step whose generator sent > ${MAX_SEND_LAG_MS} ms late is rerun once; stops after two failed steps.`,
    `  CPU from /proc/<pid>/stat during the peak test; RSS from /proc/<pid>/status.`,
    `  per family of figures (latency, throughput, streams) a round whose direct baseline moved > 10 % from the median is left out.`,
  ].join('\n');
  const machine = await machineLine();
  console.log(machine);
  console.log(method);

  await mkdir(results, { recursive: true });
  const mock = spawnPinned('mock-upstream', 'node', [`${repo}bench/mock-upstream.ts`], {
    core: CORE_LOAD,
  });
  const mockOrigin = `http://127.0.0.1:${await readyPort(mock)}`;
  const redis = await startRedis(CORE_LOAD);
  const env: Environment = {
    mock: mockOrigin,
    redisUrl: redis.url,
    repo,
    logFile: `${results}dataplane.log`,
  };

  const done: Round[] = [];
  const log = (line: string) => {
    console.error(line);
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = shuffle(systems);
      log(`round ${round}/${rounds}: ${order.join(', ')}`);
      const current: Round = { round, order, figures: {}, failures: {} };
      for (const name of order) {
        let running;
        try {
          running = await startSystem(name, env);
          current.figures[name] = await measureSystem(running, options, log);
        } catch (error) {
          current.failures[name] = error instanceof Error ? error.message : String(error);
          log(`  ${name} failed: ${current.failures[name]}`);
        } finally {
          await running?.stop();
        }
      }
      done.push(current);
    }
  } finally {
    await mock.stop();
    await redis.stop();
  }

  const { summary, aims } = report(done, systems);
  const file = `${results}gateway-${new Date().toISOString().replaceAll(':', '-')}.json`;
  await writeFile(
    file,
    JSON.stringify({ machine, method, options, systems, rounds: done, summary, aims }, null, 2),
  );
  console.log(`\nraw figures: ${file.slice(repo.length)}`);
}

/** Marks the rounds left out, prints the tables and aims; returns what it printed. */
function report(done: Round[], systems: readonly SystemName[]) {
  markDiscarded(done);
  for (const round of done) {
    for (const [family, why] of Object.entries(round.discarded ?? {}))
      console.error(`round ${round.round} left out of ${family}: ${why}`);
  }
  const summary = summarizeRounds(done, systems);
  const aims = checkAims(summary);
  const kept = summary.keptRounds;
  console.log(
    `\nrounds kept: latency ${kept.latency}, throughput ${kept.throughput}, streams ${kept.streams}, CPU and memory ${kept.all} (of ${done.length})\n`,
  );
  console.log(renderTables(summary));
  console.log(`\n**Aims**\n\n${renderAims(aims)}`);
  const failures = done.flatMap((round) =>
    Object.entries(round.failures).map(
      ([name, message]) => `round ${round.round} ${name}: ${message}`,
    ),
  );
  if (failures.length > 0) console.log(`\nfailures:\n${failures.join('\n')}`);
  return { summary, aims };
}

function shuffle<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
