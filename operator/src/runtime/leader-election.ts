/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: the
 * holder renews every retryPeriod; a candidate takes the Lease over once it has seen the same
 * record for leaseDuration (measured on its own clock, so clock skew between replicas does not
 * matter); every write carries the resourceVersion it read, so two candidates racing for one
 * Lease cannot both win (the loser gets 409 Conflict). A leader that cannot renew within
 * renewDeadline steps down. On shutdown the leader releases the Lease so a standby takes over
 * at once instead of after leaseDuration.
 */
import { ApiError, isConflict, isNotFound, type KubeClient } from './kube-client.ts';
import type { Logger } from './log.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { KubeObject } from './objects.ts';
import { Leases } from './resources.ts';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** This replica's identity in holderIdentity. */
  identity: string;
  /** @default 15_000 */
  leaseDurationMs?: number;
  /** @default 10_000 */
  renewDeadlineMs?: number;
  /** @default 2_000 */
  retryPeriodMs?: number;
  logger: Logger;
  metrics: OperatorMetrics;
  onStartedLeading: () => void;
  /** Called when renewal failed or the Lease was taken; the caller stops reconciling. */
  onStoppedLeading: () => void;
  /** Local clock, in ms. @default Date.now */
  now?: () => number;
}

interface LeaseObject extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** RFC 3339 with microseconds, as the API's MicroTime expects. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'now'>> & { now: () => number };
  #leading = false;
  #stopped = false;
  #observed: { record: string; at: number } | undefined;
  #lastRenew = 0;
  #lease: LeaseObject | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      now: Date.now,
      ...options,
    };
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops campaigning; a leader releases the Lease. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    if (this.#leading) {
      this.#setLeading(false);
      await this.#release();
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const ok = await this.#tryAcquireOrRenew().catch((err: unknown) => {
        this.#o.logger.warn('Failed to acquire or renew the Lease', {
          error: err,
          lease: this.#o.name,
        });
        return false;
      });
      if (this.#isStopped()) break;
      const now = this.#o.now();
      if (ok) {
        this.#lastRenew = now;
        if (!this.#leading) this.#setLeading(true);
      } else if (this.#leading && now - this.#lastRenew >= this.#o.renewDeadlineMs) {
        this.#o.logger.warn('Lost the Lease', { lease: this.#o.name, identity: this.#o.identity });
        this.#setLeading(false);
      }
      await this.#sleep(this.#o.retryPeriodMs);
    }
  }

  /** Read through a method: stop() flips it while the loop awaits. */
  #isStopped(): boolean {
    return this.#stopped;
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    this.#o.metrics.leader.set(leading ? 1 : 0);
    if (leading) {
      this.#o.logger.info('Became the leader', { lease: this.#o.name, identity: this.#o.identity });
      this.#o.onStartedLeading();
    } else {
      this.#o.onStoppedLeading();
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.#o;
    const now = this.#o.now();
    const durationSeconds = Math.max(1, Math.ceil(this.#o.leaseDurationMs / 1000));
    let current: LeaseObject;
    try {
      current = await client.get<LeaseObject>(Leases, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.#lease = await client.create<LeaseObject>(Leases, namespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      });
      return true;
    }
    const spec = current.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.acquireTime]);
    if (this.#observed?.record !== record) this.#observed = { record, at: now };
    const holder = spec.holderIdentity ?? '';
    const held = holder !== '' && holder !== identity;
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (held && now < this.#observed.at + leaseMs) return false;
    const taking = holder !== identity;
    try {
      this.#lease = await client.replace<LeaseObject>(Leases, {
        ...current,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          renewTime: microTime(now),
          acquireTime: taking ? microTime(now) : (spec.acquireTime ?? microTime(now)),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && holder !== '' ? 1 : 0),
        },
      });
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
    return true;
  }

  /** Clears holderIdentity so the next candidate need not wait out leaseDuration. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (lease?.spec?.holderIdentity !== this.#o.identity) return;
    try {
      const now = this.#o.now();
      await this.#o.client.replace(Leases, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(now),
        },
      });
      this.#o.logger.info('Released the Lease', {
        lease: this.#o.name,
        identity: this.#o.identity,
      });
    } catch (err) {
      // Someone else already holds it, or the API is gone: it expires on its own.
      if (!(err instanceof ApiError)) throw err;
    }
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
