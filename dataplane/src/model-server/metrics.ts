/**
 * The model server's Prometheus metrics (`/metrics`), on a registry per server so tests can
 * build several: what is served, memory (the process and, where one is set, the container's
 * cgroup), tokens per second, queue depth, swaps and rollbacks. Labels carry names and
 * versions, never content.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Decode rate is averaged over this window. */
const RATE_WINDOW_MS = 10_000;

export interface MemoryReading {
  /** The container's limit, or undefined when none is set. */
  limitBytes: number | undefined;
  /** The container's working set (usage less inactive file cache), or undefined outside one. */
  workingSetBytes: number | undefined;
  /** Free memory: the limit less the working set (the host's available memory without one). */
  headroomBytes?: number;
  /** headroomBytes in units of the served model's bytes; undefined before a model is loaded. */
  headroomRatio?: number | undefined;
  /** memory_headroom_low: the ratio is below headroomFactor. */
  headroomLow?: boolean;
}

export interface ModelServerMetricsOptions {
  /** Collect Node's default process metrics. @default true */
  defaultMetrics?: boolean;
  /** Requests waiting for a generation slot, read at scrape time. */
  queueDepth: () => number;
  /** Requests being answered, read at scrape time. */
  inFlight: () => number;
  /** The container's memory, read at scrape time. */
  memory: () => Promise<MemoryReading>;
}

export function createModelServerMetrics(options: ModelServerMetricsOptions) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const decoded: { at: number; tokens: number }[] = [];
  const recentTokens = (now: number): number => {
    while ((decoded[0]?.at ?? now) < now - RATE_WINDOW_MS) decoded.shift();
    return decoded.reduce((sum, entry) => sum + entry.tokens, 0);
  };
  const metrics = {
    registry,
    info: new Gauge({
      name: 'model_server_model_info',
      help: 'The version being served (value 1), with its runtime and task.',
      labelNames: ['model', 'version', 'runtime', 'task'] as const,
      registers,
    }),
    requests: new Counter({
      name: 'model_server_requests_total',
      help: 'Answers by operation and outcome (ok, failed: a failure of the model; refused: of the request).',
      labelNames: ['operation', 'outcome'] as const,
      registers,
    }),
    tokens: new Counter({
      name: 'model_server_tokens_total',
      help: 'Tokens read (input) and generated (output).',
      labelNames: ['direction'] as const,
      registers,
    }),
    tokensPerSecond: new Gauge({
      name: 'model_server_tokens_per_second',
      help: `Generated tokens per second over the last ${RATE_WINDOW_MS / 1000} s.`,
      registers,
      collect() {
        this.set(recentTokens(Date.now()) / (RATE_WINDOW_MS / 1000));
      },
    }),
    queueDepth: new Gauge({
      name: 'model_server_queue_depth',
      help: 'Requests waiting for a generation slot.',
      registers,
      collect() {
        this.set(options.queueDepth());
      },
    }),
    inFlight: new Gauge({
      name: 'model_server_requests_in_flight',
      help: 'Requests being answered (streams included).',
      registers,
      collect() {
        this.set(options.inFlight());
      },
    }),
    memory: new Gauge({
      name: 'model_server_memory_bytes',
      help: 'Memory: the process (rss, heap_used, external) and the container (cgroup_limit, cgroup_working_set).',
      labelNames: ['kind'] as const,
      registers,
      async collect() {
        const usage = process.memoryUsage();
        this.set({ kind: 'rss' }, usage.rss);
        this.set({ kind: 'heap_used' }, usage.heapUsed);
        this.set({ kind: 'external' }, usage.external);
        const container = await options.memory();
        if (container.limitBytes !== undefined)
          this.set({ kind: 'cgroup_limit' }, container.limitBytes);
        if (container.workingSetBytes !== undefined)
          this.set({ kind: 'cgroup_working_set' }, container.workingSetBytes);
      },
    }),
    loadSeconds: new Gauge({
      name: 'model_server_load_seconds',
      help: 'How long the served version took to verify, load and warm up.',
      labelNames: ['phase'] as const,
      registers,
    }),
    headroomRatio: new Gauge({
      name: 'model_server_memory_headroom_ratio',
      help: 'Free memory (limit less working set) in units of the served model bytes; a dual-load needs headroomFactor.',
      registers,
      async collect() {
        const { headroomRatio } = await options.memory();
        if (headroomRatio === undefined) this.reset();
        else this.set(headroomRatio);
      },
    }),
    headroomBytes: new Gauge({
      name: 'model_server_memory_headroom_bytes',
      help: 'Free memory: the memory limit less the working set (the host available memory without a limit).',
      registers,
      async collect() {
        const { headroomBytes } = await options.memory();
        if (headroomBytes === undefined) this.reset();
        else this.set(headroomBytes);
      },
    }),
    headroomLow: new Gauge({
      name: 'memory_headroom_low',
      help: 'memory_headroom_low: 1 while the headroom ratio is below headroomFactor (no dual-load fits), else 0.',
      registers,
      async collect() {
        this.set((await options.memory()).headroomLow === true ? 1 : 0);
      },
    }),
    swaps: new Counter({
      name: 'model_server_swaps_total',
      help: 'Swap attempts by result: switched, refused (mem_guard or a swap in progress), failed (load or warm-up; the old version kept), rolled_back (error rate after the switch).',
      labelNames: ['result'] as const,
      registers,
    }),
    swapSeconds: new Histogram({
      name: 'model_server_swap_duration_seconds',
      help: 'From a swap request to the atomic switch (verify, load, warm up).',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    /** Counts generated tokens into the tokens-per-second window. */
    decoded(tokens: number): void {
      decoded.push({ at: Date.now(), tokens });
      recentTokens(Date.now());
    },
  };
  return metrics;
}

export type ModelServerMetrics = ReturnType<typeof createModelServerMetrics>;
