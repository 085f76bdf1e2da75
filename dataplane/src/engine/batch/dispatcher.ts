import type { JobsOptions, Queue } from 'bullmq';
import type { BatchSettings } from '../../../../crds/gateway-settings.ts';
import type { BatchStore } from './store.ts';
import { jobIdOf } from './types.ts';

/** What a queue job carries: the item's ref; the item itself stays in Redis. */
export interface JobData {
  ref: string;
}

export type BatchQueue = Queue<JobData, void>;

/** A pino-shaped logger (the app's, or the worker process's). */
export interface BatchLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLog: BatchLog = { info() {}, warn() {}, error() {} };

/** Items taken from Redis per dispatch round trip. */
const DISPATCH_CHUNK = 256;

/** The custom backoff's name in BullMQ (the worker's `backoffStrategy` computes it). */
export const BACKOFF_TYPE = 'batch-backoff';

export function maxQueuedFor(settings: BatchSettings, tenant: string): number {
  return settings.tenants[tenant]?.maxQueued ?? settings.maxQueuedPerTenant;
}

export function maxRunningFor(settings: BatchSettings, tenant: string): number {
  return settings.tenants[tenant]?.maxRunning ?? settings.maxRunningPerTenant;
}

/** BullMQ options of an item's job. Completed and failed jobs are removed: Redis has the results. */
export function jobOptions(settings: BatchSettings, ref: string): JobsOptions {
  return {
    jobId: jobIdOf(ref),
    // One more than the engine's own count, which decides (FAIL): BullMQ must never give up first.
    attempts: settings.attempts + 1,
    backoff: { type: BACKOFF_TYPE, delay: settings.backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}

/**
 * Moves items from the tenants' queues into the BullMQ queue, round robin over tenants and
 * never past a tenant's running limit (the DISPATCH script), so the shared queue only ever
 * holds each tenant's fair share. Any process may dispatch, as often as it likes: the script
 * is atomic and job ids dedupe. Runs coalesce: a trigger during a run makes it go once more.
 */
export class Dispatcher {
  readonly #store: BatchStore;
  readonly #queue: BatchQueue;
  readonly #settings: () => BatchSettings;
  readonly #log: () => BatchLog;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(deps: {
    store: BatchStore;
    queue: BatchQueue;
    settings: () => BatchSettings;
    log: () => BatchLog;
  }) {
    this.#store = deps.store;
    this.#queue = deps.queue;
    this.#settings = deps.settings;
    this.#log = deps.log;
  }

  /** Dispatches in the background; a failure is logged (the next trigger or tick retries). */
  trigger(): void {
    this.run().catch((error: unknown) => {
      this.#log().warn({ err: error }, 'Failed to dispatch batch items');
    });
  }

  /** Dispatches until nothing more can go; resolves when the run that covers this call ends. */
  run(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** No more runs from this process (it is closing); the current one finishes. */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves when the current run (if any) has ended, successfully or not. */
  async settled(): Promise<void> {
    await this.#running?.catch(() => undefined);
  }

  async #loop(): Promise<void> {
    do {
      for (;;) {
        const settings = this.#settings();
        const running = Object.fromEntries(
          Object.entries(settings.tenants).flatMap(([tenant, limits]) =>
            limits.maxRunning === undefined ? [] : [[tenant, limits.maxRunning]],
          ),
        );
        const taken = await this.#store.dispatch(DISPATCH_CHUNK, {
          defaultRunning: settings.maxRunningPerTenant,
          running,
        });
        // Taken items are in flight already: if this add fails, the sweeper re-adds them.
        if (taken.length > 0) {
          await this.#queue.addBulk(
            taken.map(({ tenant, ref }) => ({
              name: tenant,
              data: { ref },
              opts: jobOptions(settings, ref),
            })),
          );
        }
        if (taken.length < DISPATCH_CHUNK) break;
      }
    } while (this.#takeAgain() && !this.#stopped);
  }

  /** Whether a trigger came during the run, clearing it. */
  #takeAgain(): boolean {
    const again = this.#again;
    this.#again = false;
    return again;
  }
}
