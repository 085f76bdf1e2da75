/**
 * Kubernetes Events (events.k8s.io/v1) for notable transitions: a condition that flips, a
 * child that could not be applied. Events are best effort: a failure to record one is logged,
 * never retried, and never fails a reconcile.
 */
import { randomBytes } from 'node:crypto';
import type { KubeClient } from './kube-client.ts';
import { microTime } from './leader-election.ts';
import type { Logger } from './log.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { KubeObject } from './objects.ts';
import { Events } from './resources.ts';

export interface EventIntent {
  type: 'Normal' | 'Warning';
  /** PascalCase, e.g. the condition reason. */
  reason: string;
  /** What happened, for a person. */
  note: string;
  /** What the operator did, PascalCase (`Reconcile`, `Apply`). */
  action: string;
}

export class EventRecorder {
  readonly #client: KubeClient;
  readonly #instance: string;
  readonly #logger: Logger;
  readonly #metrics: OperatorMetrics;

  constructor(client: KubeClient, instance: string, logger: Logger, metrics: OperatorMetrics) {
    this.#client = client;
    this.#instance = instance;
    this.#logger = logger;
    this.#metrics = metrics;
  }

  async record(regarding: KubeObject, event: EventIntent): Promise<void> {
    const { name, namespace = 'default', uid, resourceVersion } = regarding.metadata;
    const now = Date.now();
    try {
      await this.#client.create(Events, namespace, {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: {
          name: `${name.slice(0, 200)}.${now.toString(16)}${randomBytes(3).toString('hex')}`,
          namespace,
        },
        eventTime: microTime(now),
        reportingController: 'inference.enis.io/operator',
        reportingInstance: this.#instance.slice(0, 128),
        action: event.action,
        reason: event.reason,
        note: event.note.slice(0, 1024),
        type: event.type,
        regarding: {
          apiVersion: regarding.apiVersion,
          kind: regarding.kind,
          name,
          namespace,
          uid,
          resourceVersion,
        },
      });
      this.#metrics.eventsEmitted.inc({ reason: event.reason });
    } catch (err) {
      this.#logger.warn('Failed to record an Event', {
        reason: event.reason,
        namespace,
        name,
        error: err,
      });
    }
  }
}
