import type { Redis } from 'ioredis';
import { ConfigStore } from '../config/config-store.ts';
import { BatchService } from './batch/service.ts';
import type { ConfigSnapshot } from '../config/snapshot.ts';
import { MemoryAuditStore } from '../audit/memory-store.ts';
import { RedisAuditStore } from '../audit/redis-store.ts';
import { AuditTrail } from '../audit/trail.ts';
import { budgetGuard } from '../budget/guard.ts';
import { MemoryBudgetStore } from '../budget/memory-store.ts';
import { RedisBudgetStore } from '../budget/redis-store.ts';
import type { BudgetStore } from '../budget/store.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import { recordMetrics } from './pipeline/record-metrics.ts';
import type { PipelineStage } from '../stages/stage.ts';
import { tracedPromptSource, tracedSafety } from './prepare-tracing.ts';
import { createPromptSource } from './prompt-source.ts';
import { Router } from './routing/router.ts';
import { Semaphore } from './routing/semaphore.ts';
import { createSafety } from './safety.ts';
import { guardScorer, type GuardScorer } from './injection-guard.ts';
import { MemoryStreamStore } from './stream/memory-store.ts';
import { AnswerCache, memoryAnswerStore, redisAnswerStore } from './pipeline/answer-cache.ts';
import { RedisStreamStore } from './stream/redis-store.ts';
import { createResumeTokens, type ResumeTokens } from './stream/resume-token.ts';
import { StreamSessions } from './stream/sessions.ts';
import type { StreamStore } from './stream/store.ts';
import { ApiError } from '../errors/api-error.ts';
import { createPromptResolver, type PromptResolver } from '../prompts/resolver.ts';
import { providerFor } from '../providers/registry.ts';
import { createMetrics, type Metrics } from '../telemetry/metrics.ts';
import { startTracing, type Tracing } from '../telemetry/tracing.ts';
import { tracedStages, tracingStage } from '../stages/tracing.ts';
import { agentProfileStage } from '../integrations/nops/stage.ts';

export interface ServicesOptions {
  /** Config contract directories, later ones overriding earlier ones file by file. */
  configDirs: readonly string[];
  /** Shared state across replicas; in-memory stores when absent (single process). */
  redis?: Redis;
  env?: NodeJS.ProcessEnv;
  /** Watch the directories for changes. @default true */
  watch?: boolean;
  /** Collect Node's default process metrics. @default true */
  defaultMetrics?: boolean;
  /**
   * Stages plugged into the pipeline after the built-in ones (metrics): their reserve, settle
   * and record hooks run for every surface. @default []
   */
  stages?: readonly PipelineStage[];
  /** Batch items this process executes at once. @default gateway.yaml `batch.workers.inGateway` */
  batchWorkers?: number;
}

/** Everything a request needs, built once per app; surfaces get it as `app.services`. */
export interface Services {
  config: ConfigStore;
  /** The served snapshot; NOT_READY before the first good load. */
  snapshot(): ConfigSnapshot;
  metrics: Metrics;
  /** Traces, when a collector is named (docs/observability.md); undefined: off. */
  tracing: Tracing | undefined;
  router: Router;
  /** The guard model behind a route, for every surface's injection classifier. */
  guard: GuardScorer;
  prompts: PromptResolver;
  /** The one request pipeline every surface calls. */
  pipeline: Pipeline;
  /** Tenants' spend, reservations and rate windows (Redis, or memory without it). */
  budgets: BudgetStore;
  /** The audit trail: receipts, checkpoints, retention (Redis, or memory without it). */
  audit: AuditTrail;
  streams: StreamStore;
  sessions: StreamSessions;
  resumeTokens: ResumeTokens;
  redis: Redis | undefined;
  /** The batch engine; only with Redis (without it the batch routes answer 503). */
  batch: BatchService | undefined;
  /** Aborted when the app starts draining; open streams then tell clients to resume elsewhere. */
  draining: AbortSignal;
  /** Starts draining: open streams get a last `resume` event and end. */
  drain(): void;
  /** Waits for running producers (up to 10 s), then releases everything. */
  close(): Promise<void>;
}

export async function createServices(options: ServicesOptions): Promise<Services> {
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const config = new ConfigStore(options.configDirs, options.env);
  await config.reload();
  const snapshot = (): ConfigSnapshot => {
    const current = config.current;
    if (current === undefined)
      throw new ApiError('NOT_READY', 'No configuration is loaded yet.', { retryAfterS: 1 });
    return current;
  };

  const noPrompts = new Map();
  const prompts = createPromptResolver({ manifests: () => config.current?.prompts ?? noPrompts });
  const observe = (current: ConfigSnapshot) => {
    metrics.configInfo.reset();
    metrics.configInfo.set({ checksum: current.checksum }, 1);
    metrics.promptsLoaded.set(
      [...current.prompts.values()].reduce((sum, versions) => sum + versions.length, 0),
    );
  };
  if (config.current !== undefined) observe(config.current);
  // Attached after the first load: 'swapped' is then a hot reload, what propagation measures.
  config.on('swapped', (current) => {
    metrics.configReloads.inc({ result: 'swapped' });
    metrics.configLoaded.reset();
    metrics.configLoaded.set({ checksum: current.checksum }, Date.now() / 1000);
    prompts.invalidate();
    observe(current);
  });
  config.on('refused', () => {
    metrics.configReloads.inc({ result: 'refused' });
  });
  if (options.watch ?? true) config.watch();

  const limits = config.current?.gateway.limits;
  const semaphore = new Semaphore({
    limit: limits?.maxConcurrent ?? 512,
    queueTimeoutMs: limits?.queueTimeoutMs ?? 1000,
  });
  const router = new Router({ provider: providerFor });
  const keyPrefix = () => config.current?.gateway.budgets.keyPrefix ?? '';
  const budgets: BudgetStore =
    options.redis === undefined
      ? new MemoryBudgetStore()
      : new RedisBudgetStore(options.redis, { prefix: keyPrefix });
  const audit = new AuditTrail({
    store:
      options.redis === undefined
        ? new MemoryAuditStore()
        : new RedisAuditStore(options.redis, { prefix: keyPrefix }),
    // In memory (one process, no Redis) a chain keeps its last 100,000 receipts.
    ...(options.redis === undefined ? { maxEntries: 100_000 } : {}),
    snapshot: () => config.current,
    onError: () => {
      metrics.auditWriteErrors.inc();
    },
    onLate: () => {
      metrics.auditLateSeals.inc();
    },
    onSealed: (outcome) => {
      metrics.auditReceipts.inc({ outcome });
    },
  });
  const keep = (current: ConfigSnapshot) => {
    audit.keep(current).catch(() => {
      metrics.auditWriteErrors.inc();
    });
  };
  if (config.current !== undefined) keep(config.current);
  config.on('swapped', keep);
  // Kept again every hour: a config served for longer than its TTL stays replayable.
  const rekeep = setInterval(() => {
    if (config.current !== undefined) keep(config.current);
  }, 3_600_000).unref();
  audit.sweeper.start(
    () => (config.current?.gateway.audit.sweepIntervalS ?? 15) * 1000,
    () => {
      metrics.auditWriteErrors.inc();
    },
  );
  // Off (undefined) unless a collector is named: then no stage below creates a span.
  const tracing = startTracing({
    serviceName: 'inference-dataplane',
    settings: () => config.current?.gateway.tracing,
  });
  const stages: PipelineStage[] = [
    // First: the stages after it reserve, audit and count the request as the profile shaped it.
    agentProfileStage({ snapshot, registry: metrics.registry }),
    // Their reserves overlap (one round trip); with Redis down, a metered tenant is told
    // BUDGET_UNAVAILABLE (its budget's own policy), any other AUDIT_UNAVAILABLE.
    budgetGuard({
      store: budgets,
      snapshot,
      onSettleError: () => {
        metrics.budgetSettleErrors.inc();
      },
    }),
    audit.stage,
    recordMetrics(metrics),
    ...(options.stages ?? []),
  ];
  const promptSource = createPromptSource(prompts);
  const guard = guardScorer({
    router,
    route: (alias) => snapshot().routes.get(alias),
    onVerdict: (verdict, seconds) => {
      metrics.injectionGuardVerdicts.inc({ verdict });
      if (seconds !== undefined) metrics.injectionGuardSeconds.observe(seconds);
    },
  });
  const safety = createSafety(() => snapshot().gateway.safety, { guard });
  // With tracing on: prepare in its span, the prompt's and safety's spans under it.
  const tracer = tracing?.tracer;
  const traced = tracer === undefined ? undefined : tracingStage(tracer);
  const cache = new AnswerCache(
    options.redis === undefined ? memoryAnswerStore() : redisAnswerStore(options.redis, keyPrefix),
    (op) => {
      metrics.answerCacheErrors.inc({ op });
    },
  );
  const pipeline = new Pipeline(
    tracer === undefined || traced === undefined
      ? { snapshot, router, semaphore, prompts: promptSource, safety, stages, cache }
      : {
          cache,
          snapshot,
          router,
          semaphore,
          prompts: tracedPromptSource(tracer, promptSource),
          safety: tracedSafety(tracer, safety),
          stages: [...tracedStages(tracer, stages), traced],
          aroundPrepare: (exchange, prepare) => traced.prepare(exchange, prepare),
        },
  );

  const resumeTtlMs = () => (config.current?.gateway.streams.resumeTtlS ?? 300) * 1000;
  const streams: StreamStore =
    options.redis === undefined
      ? new MemoryStreamStore({ ttlMs: resumeTtlMs() })
      : new RedisStreamStore(options.redis, { ttlMs: resumeTtlMs() });
  const sessions = new StreamSessions(streams, {
    resumeWindowMs: resumeTtlMs,
    onEnd: (end) => {
      metrics.streamOutcomes.inc({ outcome: end.outcome, code: 'code' in end ? end.code : '' });
    },
  });
  const resumeTokens = createResumeTokens({
    keyring: () => snapshot().resumeKeys,
    ttlS: resumeTtlMs() / 1000,
  });
  const draining = new AbortController();
  const batch =
    options.redis === undefined
      ? undefined
      : new BatchService({
          redis: options.redis,
          pipeline,
          snapshot: () => config.current,
          registry: metrics.registry,
          workers: options.batchWorkers,
        });

  return {
    config,
    snapshot,
    metrics,
    tracing,
    router,
    guard,
    prompts,
    pipeline,
    budgets,
    audit,
    streams,
    sessions,
    resumeTokens,
    redis: options.redis,
    batch,
    draining: draining.signal,
    drain: () => {
      draining.abort();
      batch?.drain();
    },
    async close() {
      draining.abort();
      await batch?.close();
      config.close();
      await sessions.drain(10_000);
      clearInterval(rekeep);
      await audit.close(5000);
      await streams.close();
      await tracing?.shutdown();
    },
  };
}
