import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Value } from '@sinclair/typebox/value';
import { Queue } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import type { Registry } from 'prom-client';
import { BatchSettings } from '../../../../crds/gateway-settings.ts';
import type { ConfigSnapshot } from '../../config/snapshot.ts';
import { ApiError } from '../../errors/api-error.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { BatchWorker } from './batch-worker.ts';
import {
  Dispatcher,
  maxQueuedFor,
  silentLog,
  type BatchLog,
  type BatchQueue,
  type JobData,
} from './dispatcher.ts';
import { normaliseSubmit, type SubmitInput } from './input.ts';
import { createBatchMetrics, type BatchMetrics } from './metrics.ts';
import { isFinished } from './output.ts';
import { BatchStore } from './store.ts';
import { waitAtMost } from '../../core/wait.ts';
import { refOf, type BatchItem, type BatchRecord } from './types.ts';

export interface BatchServiceOptions {
  redis: Redis;
  pipeline: Pipeline;
  /** The served config snapshot (batch settings, routes, request deadline); none yet at start. */
  snapshot: () => ConfigSnapshot | undefined;
  registry: Registry;
  /** Items this process executes at once. @default the settings' `workers.inGateway` */
  workers?: number | undefined;
  /** Prefix of every Redis key (BullMQ's included). @default 'inference:batch:' */
  prefix?: string;
}

/** Seconds a tenant over its queue limit is told to wait before it submits again. */
export const QUEUE_FULL_RETRY_AFTER_S = 10;

const DEFAULT_SETTINGS: BatchSettings = Value.Default(BatchSettings, {}) as BatchSettings;
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

/**
 * The batch engine of one process: the store (Redis state), the dispatcher that feeds the
 * BullMQ queue fairly, and, when this process executes items, a worker.
 */
export class BatchService {
  readonly store: BatchStore;
  readonly queue: BatchQueue;
  readonly dispatcher: Dispatcher;
  readonly metrics: BatchMetrics;
  readonly #options: BatchServiceOptions;
  readonly #queueConnection: Redis;
  #worker: BatchWorker | undefined;
  #log: BatchLog = silentLog;

  constructor(options: BatchServiceOptions) {
    this.#options = options;
    const prefix = options.prefix ?? 'inference:batch:';
    this.store = new BatchStore(options.redis, {
      prefix,
      retentionS: () => this.settings().retentionS,
    });
    this.#queueConnection = this.#connection();
    this.queue = new Queue<JobData, void, string>('items', {
      connection: this.#queueConnection,
      prefix: `${prefix}q`,
    });
    this.queue.on('error', (error) => {
      this.#log.warn({ err: error }, 'Batch queue lost its connection');
    });
    this.dispatcher = new Dispatcher({
      store: this.store,
      queue: this.queue,
      settings: () => this.settings(),
      log: () => this.#log,
    });
    this.metrics = createBatchMetrics(options.registry, () => this.store.allStats());
    const workers = options.workers ?? this.settings().workers.inGateway;
    if (workers > 0) this.startWorker(workers);
  }

  /** A connection of the batch engine's own; its errors are logged (ioredis reconnects). */
  #connection(options: RedisOptions = {}): Redis {
    const connection = this.#options.redis.duplicate(options);
    connection.on('error', (error: Error) => {
      this.#log.warn({ err: error }, 'Batch Redis connection failed');
    });
    return connection;
  }

  /** The served `batch` settings; the defaults while no config is loaded. */
  settings(): BatchSettings {
    return this.#options.snapshot()?.gateway.batch ?? DEFAULT_SETTINGS;
  }

  /** Logs go to the app's logger once there is one. */
  useLogger(log: BatchLog): void {
    this.#log = log;
  }

  get worker(): BatchWorker | undefined {
    return this.#worker;
  }

  /** Starts executing items in this process (once). */
  startWorker(concurrency: number): BatchWorker {
    const settings = this.settings();
    this.#worker ??= new BatchWorker({
      store: this.store,
      dispatcher: this.dispatcher,
      queue: this.queue,
      connection: this.#connection({ maxRetriesPerRequest: null }),
      pipeline: this.#options.pipeline,
      settings: () => this.settings(),
      requestTimeoutMs: () =>
        this.#options.snapshot()?.gateway.limits.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      metrics: this.metrics,
      log: () => this.#log,
      concurrency,
      lockMs: settings.workers.lockMs,
    });
    return this.#worker;
  }

  /**
   * Accepts a batch, or finds the one its task id already names. A task id reused with another
   * payload is a CONFLICT; a tenant over its queue limit is RATE_LIMITED. An agent's batch
   * keeps its agent type: its items run under the agent's profile (docs/agents.md).
   */
  async submit(
    tenant: string,
    taskId: string,
    input: SubmitInput,
    agent?: string,
  ): Promise<{ created: boolean; batch: BatchRecord }> {
    const settings = this.settings();
    const normalised = normaliseSubmit(input, settings.maxItemsPerBatch);
    this.#checkModels(normalised.items, normalised.model);
    // The agent is part of what a batch is: its items run under its profile.
    const hash =
      agent === undefined
        ? normalised.hash
        : createHash('sha256').update(`${normalised.hash}:${agent}`).digest('hex');
    const known = await this.store.task(tenant, taskId);
    let outcome: { kind: 'created' | 'existing' | 'conflict'; batchId: string };
    if (known !== undefined) {
      outcome = {
        kind: known.hash === hash ? 'existing' : 'conflict',
        batchId: known.batchId,
      };
    } else {
      const maxQueued = maxQueuedFor(settings, tenant);
      const { queued } = await this.store.stats(tenant);
      if (queued + normalised.items.length > maxQueued) throw queueFull(tenant, queued, maxQueued);
      const committed = await this.store.submit({
        tenant,
        taskId,
        batchId: `batch_${randomBytes(16).toString('base64url')}`,
        hash,
        items: normalised.items,
        model: normalised.model,
        format: normalised.format,
        maxQueued,
        agent,
      });
      if (committed.kind === 'limited') throw queueFull(tenant, committed.queued, maxQueued);
      outcome = committed;
    }
    if (outcome.kind === 'conflict') {
      throw new ApiError(
        'CONFLICT',
        `task_id ${taskId} already names batch ${outcome.batchId} with a different payload; use a new task_id for a different batch.`,
        { details: { task_id: taskId, batch_id: outcome.batchId } },
      );
    }
    if (outcome.kind === 'created') this.dispatcher.trigger();
    const batch = await this.store.batch(outcome.batchId);
    if (batch === undefined) throw notFound(outcome.batchId);
    return { created: outcome.kind === 'created', batch };
  }

  /**
   * Every model alias the batch names must be served now (MODEL_NOT_FOUND otherwise), so a typo
   * fails the submit rather than every item. Items with a prompt and no model are checked when
   * they run (the prompt may name the model).
   */
  #checkModels(items: readonly BatchItem[], model: string | undefined): void {
    const snapshot = this.#options.snapshot();
    if (snapshot === undefined) return;
    const checked = new Set<string>();
    items.forEach((item, index) => {
      const alias =
        item.model ??
        model ??
        (item.prompt === undefined ? snapshot.gateway.defaultModel : undefined);
      if (alias === undefined || checked.has(alias)) return;
      if (!snapshot.routes.has(alias)) {
        throw new ApiError('MODEL_NOT_FOUND', `No route serves model ${alias} (item ${index}).`, {
          details: { model: alias, index },
        });
      }
      checked.add(alias);
    });
  }

  /** A tenant's batch; NOT_FOUND for another tenant's, as for one that never existed. */
  async get(tenant: string, batchId: string): Promise<BatchRecord> {
    const batch = await this.store.batch(batchId);
    if (batch?.tenant !== tenant) throw notFound(batchId);
    return batch;
  }

  async cancel(tenant: string, batchId: string): Promise<BatchRecord> {
    const status = await this.store.cancel(tenant, batchId);
    if (status === undefined) throw notFound(batchId);
    return this.get(tenant, batchId);
  }

  /**
   * The batch each time its progress changes, until it is finished or `signal` aborts; the
   * first snapshot at once.
   */
  async *watch(tenant: string, batchId: string, signal: AbortSignal): AsyncIterable<BatchRecord> {
    let last = '';
    while (!signal.aborted) {
      const batch = await this.get(tenant, batchId);
      const seen = `${batch.status}/${batch.done}/${batch.failed}/${batch.cancelled}`;
      if (seen !== last) {
        last = seen;
        yield batch;
      }
      if (isFinished(batch)) return;
      await sleep(this.settings().progressIntervalMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Re-drives (or discards) dead letters named by ref, or every dead letter of a batch. */
  async settleDeadLetters(
    action: 'redrive' | 'discard',
    target: { refs?: readonly { batchId: string; index: number }[]; batchId?: string },
  ) {
    const refs = [
      ...(target.refs ?? []).map(({ batchId, index }) => refOf(batchId, index)),
      ...(target.batchId === undefined ? [] : await this.store.deadLettersOf(target.batchId)),
    ];
    const outcomes = await this.store.settleDeadLetters(action, refs);
    if (action === 'redrive' && outcomes.includes('redriven')) this.dispatcher.trigger();
    return refs.map((ref, at) => ({ ref, outcome: outcomes[at] ?? 'missing' }));
  }

  /** Starts a graceful stop of this process's worker (the app is draining). */
  drain(): void {
    void this.#worker?.close(this.settings().workers.shutdownGraceMs);
  }

  async close(): Promise<void> {
    // Other processes dispatch from now on: a run here could take items it can no longer add.
    this.dispatcher.stop();
    // Each step below waits for Redis; one that is gone must not keep the process up.
    const graceMs = this.settings().workers.shutdownGraceMs;
    if (this.#worker !== undefined) await waitAtMost(this.#worker.close(graceMs), graceMs + 5000);
    await waitAtMost(this.dispatcher.settled(), 2000);
    await waitAtMost(this.queue.close(), 2000);
    await waitAtMost(
      this.#queueConnection.quit().catch(() => undefined),
      1000,
      () => {
        this.#queueConnection.disconnect();
      },
    );
  }
}

function notFound(batchId: string): ApiError {
  return new ApiError('NOT_FOUND', `No batch ${batchId} for this tenant.`, {
    details: { batch_id: batchId },
  });
}

function queueFull(tenant: string, queued: number, limit: number): ApiError {
  return new ApiError(
    'RATE_LIMITED',
    `Tenant ${tenant} has ${queued} batch items queued; the limit is ${limit}. Submit again when some have finished.`,
    { retryAfterS: QUEUE_FULL_RETRY_AFTER_S, details: { queued, limit } },
  );
}
