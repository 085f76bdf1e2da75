/**
 * Runs one pure reconcile function per key: reads what it observes from the caches, calls it,
 * applies the desired children, prunes the ones no longer desired, writes status when it
 * changed, records Events for condition transitions, and tells the queue what to do next.
 * Errors carry retry semantics: an API error backs off exponentially, a terminal one (the API
 * server refused the object as invalid) waits for the next change instead.
 */
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { Condition } from '../../../crds/common.ts';
import type { GaugeSample, ReconcileResult } from '../controllers/types.ts';
import type { Applier } from './applier.ts';
import type { EventIntent, EventRecorder } from './events.ts';
import { ApiError, isNotFound } from './kube-client.ts';
import type { Logger } from './log.ts';
import type { OperatorMetrics } from './metrics.ts';
import { splitKey, type KubeObject } from './objects.ts';
import type { ResourceType } from './resources.ts';
import type { StatusWriter } from './status-writer.ts';
import { WorkQueue, type Outcome } from './workqueue.ts';

export interface ControllerDefinition<Observed, Status> {
  /** Lowercase name for metrics and logs. */
  name: string;
  /** Reads what reconcile needs for key from the caches (no API calls). */
  observe(key: string): Observed | Promise<Observed>;
  reconcile(observed: Observed): ReconcileResult<Status>;
  /** The object whose status is written and on which Events are recorded. */
  target?(key: string): KubeObject | undefined;
  /** Its resource type (needed with target). */
  targetType?: ResourceType;
  /** The label value that marks key's children, and the types to prune among. */
  children: { owner(key: string): string; types: readonly ResourceType[] };
}

/** An error that retrying cannot fix; the key waits for the next change. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** 4xx answers other than conflicts, throttling and timeouts do not heal by retrying. */
export function isTerminal(err: unknown): boolean {
  if (err instanceof TerminalError) return true;
  return (
    err instanceof ApiError &&
    err.code >= 400 &&
    err.code < 500 &&
    ![401, 403, 404, 408, 409, 429].includes(err.code)
  );
}

export interface ControllerDeps {
  applier: Applier;
  statusWriter: StatusWriter;
  events: EventRecorder;
  metrics: OperatorMetrics;
  logger: Logger;
  concurrency: number;
  /** One span per reconcile when set (runtime/tracing.ts). */
  tracer?: Tracer | undefined;
}

export class Controller<Observed = unknown, Status = unknown> {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly #def: ControllerDefinition<Observed, Status>;
  readonly #deps: ControllerDeps;
  /** The gauge samples each key set last, so that the next pass can remove the stale ones. */
  readonly #gauges = new Map<string, readonly GaugeSample[]>();

  constructor(def: ControllerDefinition<Observed, Status>, deps: ControllerDeps) {
    this.name = def.name;
    this.#def = def;
    this.#deps = deps;
    this.queue = new WorkQueue({
      concurrency: deps.concurrency,
      onDepth: (depth) => {
        deps.metrics.queueDepth.set({ controller: def.name }, depth);
      },
    });
    // Zero from the start, so that rate() and increase() see the first error.
    deps.metrics.reconcileErrors.inc({ controller: def.name }, 0);
    deps.metrics.queueDepth.set({ controller: def.name }, 0);
  }

  enqueue(key: string): void {
    this.#deps.metrics.queueAdds.inc({ controller: this.name });
    this.queue.add(key);
  }

  start(): void {
    this.queue.start((key) => this.process(key));
  }

  /** Stops taking keys and waits for the reconciles in flight. */
  async stop(): Promise<void> {
    await this.queue.shutdown();
  }

  /**
   * One pass over key, in a `reconcile {controller}` span when tracing is on (`k8s.controller`,
   * `k8s.key`, `reconcile.outcome`, `reconcile.writes`: children the applier wrote plus a status
   * written).
   * Exposed for tests; the queue calls it.
   */
  async process(key: string): Promise<Outcome> {
    const { tracer } = this.#deps;
    if (tracer === undefined) return this.#process(key, { count: 0 });
    return tracer.startActiveSpan(`reconcile ${this.name}`, async (span) => {
      const writes: Writes = { count: 0 };
      span.setAttributes({ 'k8s.controller': this.name, 'k8s.key': key });
      const outcome = await this.#process(key, writes);
      span.setAttributes({ 'reconcile.outcome': outcome.type, 'reconcile.writes': writes.count });
      if (outcome.type === 'retry' || writes.failed === true)
        span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      return outcome;
    });
  }

  async #process(key: string, writes: Writes): Promise<Outcome> {
    const { metrics, logger } = this.#deps;
    const end = metrics.reconcileDuration.startTimer({ controller: this.name });
    const log = logger.with({ controller: this.name, key });
    try {
      const outcome = await this.#reconcile(key, writes);
      metrics.reconciles.inc({
        controller: this.name,
        result: outcome.type === 'requeue' ? 'requeue' : 'success',
      });
      return outcome;
    } catch (err) {
      metrics.reconciles.inc({ controller: this.name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: this.name });
      writes.failed = true;
      if (isTerminal(err)) {
        log.error('Failed to reconcile; waiting for a change', { error: err });
        const target = this.#def.target?.(key);
        if (target !== undefined) {
          void this.#deps.events.record(target, {
            type: 'Warning',
            reason: 'ReconcileFailed',
            note: (err as Error).message,
            action: 'Reconcile',
          });
        }
        return { type: 'done' };
      }
      metrics.queueRetries.inc({ controller: this.name });
      log.warn('Failed to reconcile; retrying with backoff', {
        error: err,
        failures: this.queue.failures(key) + 1,
      });
      return { type: 'retry' };
    } finally {
      end();
    }
  }

  /** Sets key's gauge samples and removes those it set before that are not among them. */
  #setGauges(key: string, samples: readonly GaugeSample[]): void {
    const gauges = this.#deps.metrics.keyed;
    const keep = new Set(samples.map(labelsId));
    for (const old of this.#gauges.get(key) ?? []) {
      if (!keep.has(labelsId(old))) gauges[old.gauge].remove(old.labels);
    }
    for (const sample of samples) gauges[sample.gauge].set(sample.labels, sample.value);
    if (samples.length === 0) this.#gauges.delete(key);
    else this.#gauges.set(key, samples);
  }

  async #reconcile(key: string, writes: Writes): Promise<Outcome> {
    const def = this.#def;
    const result = def.reconcile(await def.observe(key));
    this.#setGauges(key, result.gauges ?? []);
    const { namespace } = splitKey(key);
    const errors: unknown[] = [];
    for (const child of result.desired) {
      try {
        if (await this.#deps.applier.apply(child)) {
          writes.count++;
          for (const { kind, name, event } of result.childEvents ?? []) {
            if (kind === child.kind && name === child.metadata.name)
              void this.#deps.events.record(child, event);
          }
        }
      } catch (err) {
        errors.push(err);
      }
    }
    const keep = new Set(result.desired.map((c) => `${c.kind ?? ''}/${c.metadata.name}`));
    await this.#deps.applier.prune(namespace, def.children.owner(key), keep, def.children.types);
    const target = def.target?.(key);
    if (target !== undefined && result.status !== undefined && def.targetType !== undefined) {
      try {
        if (await this.#deps.statusWriter.write(def.targetType, target, result.status)) {
          writes.count++;
          for (const event of [...transitions(target, result.status), ...(result.events ?? [])])
            void this.#deps.events.record(target, event);
        }
      } catch (err) {
        if (!isNotFound(err)) errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
    return result.requeueAfterMs === undefined
      ? { type: 'done' }
      : { type: 'requeue', afterMs: result.requeueAfterMs };
  }
}

/** What one pass wrote, for its span. */
interface Writes {
  count: number;
  failed?: boolean;
}

/** A gauge sample's identity: its gauge and its labels. */
function labelsId(sample: GaugeSample): string {
  return `${sample.gauge}\0${JSON.stringify(Object.entries(sample.labels).sort())}`;
}

/** Reasons of a resource's first pass that only say it is starting. */
const STARTING_UP: ReadonlySet<string> = new Set(['ReplicasNotReady']);

/** Events for conditions that flipped or changed reason: Normal when True, Warning when False. */
export function transitions(target: KubeObject, status: unknown): EventIntent[] {
  const before = (target['status'] as { conditions?: Condition[] } | undefined)?.conditions ?? [];
  const after = (status as { conditions?: Condition[] }).conditions ?? [];
  const events: EventIntent[] = [];
  for (const condition of after) {
    const old = before.find((c) => c.type === condition.type);
    if (old !== undefined && old.status === condition.status && old.reason === condition.reason)
      continue;
    if (condition.status === 'Unknown') continue;
    // Degraded and Progressing read the other way round: True is the news.
    const inverted = condition.type === 'Degraded' || condition.type === 'Progressing';
    if (condition.type === 'Progressing') continue;
    const bad = inverted ? condition.status === 'True' : condition.status === 'False';
    if (!bad && old === undefined && condition.type !== 'Ready') continue;
    // A resource that is just starting up is not news; one that falls back to it is.
    if (bad && old === undefined && STARTING_UP.has(condition.reason)) continue;
    events.push({
      type: bad ? 'Warning' : 'Normal',
      reason: condition.reason,
      note: `${condition.type}=${condition.status}: ${condition.message}`,
      action: 'Reconcile',
    });
  }
  return events;
}
