import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BatchSettings } from '../../../../crds/gateway-settings.ts';
import { ApiError } from '../../errors/api-error.ts';
import { toApiError } from '../../errors/to-api-error.ts';
import type { InferenceInput } from '../../core/inference-input.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import {
  jobOptions,
  type BatchLog,
  type BatchQueue,
  type Dispatcher,
  type JobData,
} from './dispatcher.ts';
import type { BatchMetrics } from './metrics.ts';
import type { BatchStore, BeginOutcome } from './store.ts';
import { waitAtMost } from '../../core/wait.ts';
import {
  itemRequestId,
  jobIdOf,
  parseRef,
  type DeadLetter,
  type ItemError,
  type ItemResult,
} from './types.ts';

/**
 * Executions an item may start beyond its attempts before it is dead-lettered as a poison
 * pill: each one is a worker that crashed or stalled while running it.
 */
export const EXTRA_EXECUTIONS = 2;

export interface BatchWorkerOptions {
  store: BatchStore;
  dispatcher: Dispatcher;
  queue: BatchQueue;
  /** A connection of its own (BullMQ blocks on it); closed with the worker. */
  connection: Redis;
  pipeline: Pipeline;
  settings: () => BatchSettings;
  requestTimeoutMs: () => number;
  metrics: BatchMetrics;
  log: () => BatchLog;
  concurrency: number;
  /** Lock of a running item; a crashed worker's items run again after 1 to 2 times this. */
  lockMs: number;
  /** How often idle workers look for items to dispatch. @default 1000 */
  tickMs?: number;
  /** In-flight items unseen in the queue for this long are put back in it. @default max(5 s, lockMs) */
  staleMs?: number;
}

/**
 * Executes batch items from the BullMQ queue: in the gateway process or in `worker` processes,
 * any number of them. BullMQ brings delivery, locks, stalled-job recovery and retry backoff;
 * the outcome of an item is recorded by the store's scripts, once, whatever BullMQ redelivers.
 */
export class BatchWorker {
  readonly #options: BatchWorkerOptions;
  readonly #worker: Worker<JobData, void>;
  /** Aborted when a graceful shutdown runs out of time: running items go back to the queue. */
  readonly #stopping = new AbortController();
  readonly #timers: NodeJS.Timeout[] = [];
  #closed: Promise<void> | undefined;

  constructor(options: BatchWorkerOptions) {
    this.#options = options;
    const attempts = options.settings().attempts;
    this.#worker = new Worker<JobData, void, string>(
      options.queue.name,
      (job, token) => this.#process(job, token),
      {
        connection: options.connection,
        prefix: options.queue.opts.prefix ?? 'bull',
        concurrency: options.concurrency,
        lockDuration: options.lockMs,
        stalledInterval: options.lockMs,
        maxStalledCount: attempts + EXTRA_EXECUTIONS,
        settings: {
          backoffStrategy: (attemptsMade, _type, error) => this.#backoff(attemptsMade, error),
        },
      },
    );
    this.#worker.on('error', (error) => {
      options.log().warn({ err: error }, 'Batch worker lost its queue connection');
    });
    const tickMs = options.tickMs ?? 1000;
    const staleMs = options.staleMs ?? Math.max(5_000, options.lockMs);
    this.#every(tickMs, () => options.dispatcher.run());
    this.#every(Math.max(tickMs, staleMs / 4), () => this.sweep(staleMs));
  }

  #every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) => {
        this.#options.log().warn({ err: error }, 'Batch worker housekeeping failed');
      });
    }, ms);
    timer.unref();
    this.#timers.push(timer);
  }

  /** Resolves when the worker takes jobs (tests). */
  async ready(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /**
   * Puts in-flight items that the queue has lost back into it: a dispatcher that died between
   * taking items and adding their jobs, or a job BullMQ gave up on. Returns how many it re-added.
   */
  async sweep(staleMs: number): Promise<number> {
    const { store, queue, settings } = this.#options;
    const refs = await store.inflightBefore(Date.now() - staleMs, 200);
    let readded = 0;
    for (const ref of refs) {
      const jobId = jobIdOf(ref);
      const state = await queue.getJobState(jobId);
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
      if (state !== 'unknown') await queue.remove(jobId);
      const batch = await store.batch(parseRef(ref).batchId);
      await queue.add(batch?.tenant ?? 'unknown', { ref }, jobOptions(settings(), ref));
      readded += 1;
    }
    await store.touch(refs);
    return readded;
  }

  async #process(job: Job<JobData, void>, token: string | undefined): Promise<void> {
    const { store, metrics, dispatcher } = this.#options;
    const { batchId, index } = parseRef(job.data.ref);
    const begun = await store.begin(batchId, index);
    if (begun.kind === 'skip') return;
    if (begun.kind === 'cancelled') {
      metrics.finished.inc({ tenant: job.name, result: 'cancelled' });
      dispatcher.trigger();
      return;
    }
    const settings = this.#options.settings();
    let outcome: { result: ItemResult } | { error: ApiError; final: boolean };
    if (begun.executions > settings.attempts + EXTRA_EXECUTIONS) {
      const message = `The item started ${begun.executions - 1} times without finishing: a worker crashed or stalled each time.`;
      outcome = { error: new ApiError('INTERNAL', message), final: true };
    } else {
      try {
        outcome = { result: await this.#execute(batchId, index, begun) };
      } catch (thrown) {
        if (this.#stopping.signal.aborted && token !== undefined) {
          // Shutting down: the item goes back to the queue for another worker, unrecorded.
          await store.release(batchId, index);
          await job.moveToWait(token);
          throw new WaitingError();
        }
        const error = toApiError(thrown);
        outcome = { error, final: !error.retryable };
      }
    }
    const tenant = begun.tenant;
    if ('result' in outcome) {
      if (await store.complete(batchId, index, outcome.result)) this.#finished(job, tenant, 'done');
      return;
    }
    const error = itemError(outcome.error);
    const item = begun.item;
    const failed = await store.fail(batchId, index, {
      attempts: settings.attempts,
      final: outcome.final,
      result: {
        status: 'failed',
        ...(item.custom_id === undefined ? {} : { custom_id: item.custom_id }),
        attempts: begun.executions,
        finished_at: Math.floor(Date.now() / 1000),
        error,
      },
      deadLetter: deadLetter(batchId, index, tenant, begun, error),
    });
    if (failed === 'retry') {
      metrics.retries.inc({ tenant, code: error.code });
      // BullMQ schedules the next attempt with the backoff below.
      throw outcome.error;
    }
    if (failed === 'dead') {
      this.#options
        .log()
        .warn(
          { batch: batchId, index, tenant, code: error.code, attempts: begun.executions },
          'Dead-lettered batch item',
        );
      this.#finished(job, tenant, 'failed');
    }
  }

  #finished(job: Job<JobData, void>, tenant: string, result: 'done' | 'failed'): void {
    const { metrics, dispatcher } = this.#options;
    metrics.finished.inc({ tenant, result });
    metrics.latency.observe({ tenant }, (Date.now() - job.timestamp) / 1000);
    dispatcher.trigger();
  }

  async #execute(
    batchId: string,
    index: number,
    begun: Extract<BeginOutcome, { kind: 'run' }>,
  ): Promise<ItemResult> {
    const { custom_id: customId, ...request } = begun.item;
    const model = request.model ?? begun.model;
    const input: InferenceInput = { ...request, ...(model === undefined ? {} : { model }) };
    const context = {
      requestId: itemRequestId(batchId, index),
      tenant: begun.tenant,
      principal: `batch:${batchId}`,
      surface: 'batch' as const,
      // The agent type the submitter's verified credentials named: its profile shapes the item.
      ...(begun.agent === undefined ? {} : { agent: { claim: begun.agent } }),
      signal: this.#stopping.signal,
      deadlineMs: this.#options.requestTimeoutMs(),
    };
    const { prepared, text, done } = await this.#options.pipeline.complete(context, input);
    return {
      status: 'succeeded',
      ...(customId === undefined ? {} : { custom_id: customId }),
      attempts: begun.executions,
      finished_at: Math.floor(Date.now() / 1000),
      response: {
        id: itemRequestId(batchId, index),
        model: prepared.route.alias,
        output: { role: 'assistant', content: text },
        finish_reason: done.finishReason,
        usage: {
          input_tokens: done.usage.inputTokens,
          output_tokens: done.usage.outputTokens,
          cached_tokens: done.usage.cachedTokens,
        },
        ...(done.logprobs === undefined ? {} : { logprobs: done.logprobs }),
      },
    };
  }

  /** Exponential from `backoffMs` with 20 % jitter, never sooner than the error's Retry-After. */
  #backoff(attemptsMade: number, error: Error | undefined): number {
    const base = this.#options.settings().backoffMs * 2 ** Math.max(0, attemptsMade - 1);
    const jittered = base * (1 + 0.2 * Math.random());
    const retryAfterMs =
      error instanceof ApiError && error.retryAfterS !== undefined ? error.retryAfterS * 1000 : 0;
    return Math.round(Math.max(jittered, retryAfterMs));
  }

  /**
   * Stops taking items and waits for the running ones; after `graceMs` they are aborted and
   * put back in the queue for another worker (their upstream calls are cancelled).
   */
  close(graceMs: number): Promise<void> {
    this.#closed ??= this.#close(graceMs);
    return this.#closed;
  }

  async #close(graceMs: number): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    const abort = setTimeout(() => {
      this.#stopping.abort(new ApiError('SHUTTING_DOWN', 'The batch worker is shutting down.'));
    }, graceMs);
    try {
      await this.#worker.close();
    } finally {
      clearTimeout(abort);
      await waitAtMost(
        this.#options.connection.quit().catch(() => undefined),
        1000,
        () => {
          this.#options.connection.disconnect();
        },
      );
    }
  }
}

function itemError(error: ApiError): ItemError {
  return { code: error.code, message: error.message, retryable: error.retryable };
}

function deadLetter(
  batchId: string,
  index: number,
  tenant: string,
  begun: Extract<BeginOutcome, { kind: 'run' }>,
  error: ItemError,
): DeadLetter {
  return {
    batchId,
    index,
    tenant,
    taskId: begun.taskId,
    customId: begun.item.custom_id,
    error,
    attempts: begun.executions,
    deadAt: Date.now(),
  };
}
