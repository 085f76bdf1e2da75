/**
 * The in-pod swap (DESIGN §3, rollout InPlace): mem_guard first, then the new version is
 * loaded beside the old (dual-load) and warmed up, the slot switches to it in one assignment,
 * requests and streams that hold the old one finish on it, and the old one stays loaded for
 * the rollback window: if the new version's failed answers exceed the error rate within the
 * window, the slot switches back and the new one is unloaded; else the old one is. A failed
 * load or warm-up never touches the slot: the old version goes on serving. One swap at a time.
 */
import { ApiError } from '../errors/api-error.ts';
import type { MemGuard } from './mem-guard.ts';
import type { ModelServerMetrics } from './metrics.ts';
import { resolveModel, type ModelSpec } from './model-source.ts';
import type { ModelSlot } from './model-slot.ts';
import { ModelLoadError, ServedModel } from './served-model.ts';

/** What a swap did, for the admin API, the logs and the status an operator reads. */
export interface SwapEvent {
  at: string;
  result: 'switched' | 'refused' | 'failed' | 'rolled_back' | 'completed';
  /** PascalCase, as a condition reason. */
  reason: string;
  message: string;
  from?: string;
  to?: string;
  /** Request to switch: verify, load and warm-up. */
  swapMs?: number;
  /** Answers the old version was still giving at the switch (they finish on it). */
  inFlightOnOld?: number;
  /** Process RSS right after the switch, both versions loaded. */
  rssDualLoadBytes?: number;
  /** Process RSS once the version left behind is unloaded. */
  rssAfterUnloadBytes?: number;
}

export interface SwapperOptions {
  slot: ModelSlot;
  guard: MemGuard;
  metrics: ModelServerMetrics;
  /** Swap back when more than this share of the new version's answers fail. */
  rollbackErrorRate: number;
  /** ... once it has given at least this many answers within the window. */
  rollbackMinRequests: number;
  /** How long after the switch the old version stays loaded, ready to swap back. */
  rollbackWindowMs: number;
  /** Called with every event (logging, metrics info). */
  onEvent?: (event: SwapEvent) => void;
  /** Called when a version becomes the active one. */
  onActive?: (model: ServedModel) => void;
}

/** The bytes mem_guard counts for a version: its declared modelBytes, else its weights file. */
export function modelBytes(model: Pick<ServedModel, 'spec' | 'resolved'>): number {
  return model.spec.modelBytes ?? model.resolved.weightsBytes;
}

export class Swapper {
  readonly #options: SwapperOptions;
  readonly #loaded = new Set<ServedModel>();
  readonly #events: SwapEvent[] = [];
  #busy: 'swapping' | 'watching' | undefined;
  #closed = false;
  #watch: { done: Promise<void>; stop: () => void } | undefined;

  constructor(options: SwapperOptions) {
    this.#options = options;
  }

  /** idle, swapping (loading the new version) or watching (the rollback window). */
  get state(): 'idle' | 'swapping' | 'watching' {
    return this.#busy ?? 'idle';
  }

  /** The version kept loaded for a rollback, during the window. */
  get standby(): ServedModel | undefined {
    return [...this.#loaded].find((model) => model !== this.#options.slot.active);
  }

  /** The latest events, newest last (at most 50). */
  get events(): readonly SwapEvent[] {
    return this.#events;
  }

  /**
   * The latest swap that did not end with its version serving (refused, failed or rolled
   * back), unless a later one succeeded: what `/readyz` tells the operator.
   */
  get problem(): SwapEvent | undefined {
    const last = this.#events.findLast((e) => e.result !== 'completed');
    return last === undefined || last.result === 'switched' ? undefined : last;
  }

  /** Loads the first version and makes it active. */
  async start(spec: ModelSpec): Promise<ServedModel> {
    const model = await ServedModel.load(spec);
    this.#loaded.add(model);
    this.#options.slot.switchTo(model);
    this.#options.onActive?.(model);
    return model;
  }

  /**
   * Swaps to `spec`; resolves at the switch (the old version then drains and waits out the
   * window in the background). CONFLICT when a swap or its window is under way or mem_guard
   * refuses; BAD_REQUEST naming the step when the new version fails to load or warm up.
   */
  async swap(spec: ModelSpec): Promise<SwapEvent> {
    const { slot, guard, metrics } = this.#options;
    const old = slot.active;
    if (old === undefined) throw new ApiError('NOT_READY', 'No version is loaded yet.');
    // A spec back at the active version (the operator's answer to a refused or failed swap)
    // asks for nothing: no dual-load, and the event that explains the refusal stays the latest.
    if (spec.version === old.version && spec.uri === old.spec.uri) {
      return {
        at: new Date().toISOString(),
        result: 'completed',
        reason: 'AlreadyActive',
        message: `Version ${spec.version} is the active one.`,
        from: old.version,
        to: spec.version,
      };
    }
    if (this.#busy !== undefined) {
      metrics.swaps.inc({ result: 'refused' });
      throw new ApiError(
        'CONFLICT',
        `A swap is ${this.#busy === 'swapping' ? 'in progress' : 'in its rollback window'}; try again after it.`,
        {
          details: { reason: 'SwapInProgress', state: this.#busy },
        },
      );
    }
    this.#busy = 'swapping';
    const started = performance.now();
    try {
      const resolved = await resolveModel(spec).catch((error: unknown) => {
        throw new ModelLoadError('resolve', error);
      });
      const verdict = await guard.check(spec.modelBytes ?? resolved.weightsBytes);
      if (!verdict.allowed) {
        const event = this.#record({
          result: 'refused',
          reason: verdict.reason,
          message: verdict.message,
          from: old.version,
          to: spec.version,
        });
        metrics.swaps.inc({ result: 'refused' });
        throw new ApiError('CONFLICT', verdict.message, {
          details: {
            reason: verdict.reason,
            neededBytes: verdict.neededBytes,
            freeBytes: verdict.state.freeBytes,
            event,
          },
        });
      }
      const next = await ServedModel.load(spec);
      if (this.#closed) {
        // SIGTERM arrived while it loaded: it never serves.
        await next.unload();
        throw new ApiError('SHUTTING_DOWN', 'The model server is shutting down.');
      }
      this.#loaded.add(next);
      slot.switchTo(next);
      const swapMs = performance.now() - started;
      metrics.swapSeconds.observe(swapMs / 1000);
      metrics.swaps.inc({ result: 'switched' });
      this.#options.onActive?.(next);
      const event = this.#record({
        result: 'switched',
        reason: 'Switched',
        message: `Version ${next.version} serves; ${old.version} finishes its ${old.leases} in-flight answers and stays loaded for ${this.#options.rollbackWindowMs / 1000} s.`,
        from: old.version,
        to: next.version,
        swapMs,
        inFlightOnOld: old.leases,
        rssDualLoadBytes: process.memoryUsage().rss,
      });
      this.#busy = 'watching';
      this.#watch = this.#watchWindow(old, next);
      return event;
    } catch (error) {
      if (this.#busy === 'swapping') this.#busy = undefined;
      if (error instanceof ModelLoadError) {
        const reason = error.phase === 'warm-up' ? 'WarmUpFailed' : 'LoadFailed';
        this.#record({
          result: 'failed',
          reason,
          message: `Version ${spec.version}: ${error.message}; ${old.version} goes on serving.`,
          from: old.version,
          to: spec.version,
        });
        metrics.swaps.inc({ result: 'failed' });
        throw new ApiError(
          'BAD_REQUEST',
          `Version ${spec.version} did not come up (${error.message}); ${old.version} goes on serving.`,
          {
            details: { reason, phase: error.phase },
          },
        );
      }
      throw error;
    }
  }

  /** Waits for the watch window of the last swap, if one runs. */
  async settled(): Promise<void> {
    await this.#watch?.done;
  }

  /** Ends any window (no rollback), drains every version and unloads it. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#watch?.stop();
    await this.#watch?.done;
    await Promise.all(
      [...this.#loaded].map(async (model) => {
        await model.drain();
        await model.unload();
      }),
    );
    this.#loaded.clear();
  }

  #watchWindow(old: ServedModel, next: ServedModel): { done: Promise<void>; stop: () => void } {
    const { slot, metrics, rollbackErrorRate, rollbackMinRequests, rollbackWindowMs } =
      this.#options;
    const since = performance.now();
    const control = { stopped: false };
    let wake: (() => void) | undefined;
    const stop = () => {
      control.stopped = true;
      wake?.();
    };
    const done = (async () => {
      let rolledBack = false;
      while (!control.stopped && performance.now() - since < rollbackWindowMs) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(100, rollbackWindowMs)).unref();
        });
        const { total, failed } = next.outcomesSince(since);
        if (total >= rollbackMinRequests && failed / total > rollbackErrorRate) {
          slot.switchTo(old);
          this.#options.onActive?.(old);
          metrics.swaps.inc({ result: 'rolled_back' });
          this.#record({
            result: 'rolled_back',
            reason: 'ErrorRateExceeded',
            message: `${failed} of ${total} answers of ${next.version} failed within ${Math.round((performance.now() - since) / 100) / 10} s of the switch (over ${rollbackErrorRate * 100} %); ${old.version} serves again.`,
            from: next.version,
            to: old.version,
          });
          rolledBack = true;
          break;
        }
      }
      const leaving = rolledBack ? next : old;
      await leaving.drain();
      await leaving.unload();
      // Under --expose-gc (the pod's command) the version's JS objects and buffers go now.
      (globalThis as { gc?: () => void }).gc?.();
      this.#loaded.delete(leaving);
      if (!rolledBack) {
        this.#record({
          result: 'completed',
          reason: 'RolloutComplete',
          message: `Version ${old.version} drained and unloaded; ${next.version} serves.`,
          from: old.version,
          to: next.version,
          rssAfterUnloadBytes: process.memoryUsage().rss,
        });
      } else {
        const last = this.#events.at(-1);
        if (last !== undefined) last.rssAfterUnloadBytes = process.memoryUsage().rss;
      }
      this.#busy = undefined;
    })();
    return { done, stop };
  }

  #record(event: Omit<SwapEvent, 'at'>): SwapEvent {
    const full = { at: new Date().toISOString(), ...event };
    this.#events.push(full);
    if (this.#events.length > 50) this.#events.shift();
    this.#options.onEvent?.(full);
    return full;
  }
}
