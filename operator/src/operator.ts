/**
 * startOperator: the manager's lifecycle. It connects to the API server, builds informers and
 * controllers from the registrations (manager.ts, registrations.ts), serves health, syncs the
 * caches, and runs the controllers only while this replica holds the leader Lease. main.ts
 * and the tests both start the operator through here.
 */
import { startOperatorTracing } from './runtime/tracing.ts';
import {
  createCaches,
  createControllers,
  enqueueAll,
  enqueueOnChange,
  type InformerCaches,
} from './manager.ts';
import { Observer } from './observe.ts';
import type { Registration } from './registration.ts';
import { registrations } from './registrations.ts';
import type { Controller } from './runtime/controller.ts';
import { loadCredentials, type Credentials } from './runtime/credentials.ts';
import { JwksFetcher } from './runtime/jwks-fetcher.ts';
import { EventRecorder } from './runtime/events.ts';
import { startHealthServers, type HealthServers } from './runtime/health.ts';
import { KubeClient } from './runtime/kube-client.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { createLogger, type Logger } from './runtime/log.ts';
import { createMetrics, type OperatorMetrics } from './runtime/metrics.ts';
import { endpointsFromSlices, modelProber } from './runtime/model-probe.ts';
import { RedisMcpStatusReader } from './runtime/mcp-status-reader.ts';
import { RedisSpendReader } from './runtime/spend-reader.ts';
import type { Settings } from './settings.ts';

/** The one field manager of every apply. */
export const FIELD_MANAGER = 'inference-operator';

export interface OperatorOptions {
  settings: Settings;
  /** Where the API server is and who to be; else settings.kubeconfig (or the default chain). */
  credentials?: Credentials;
  logger?: Logger;
  /** Expose process metrics (CPU, memory) too. @default false */
  processMetrics?: boolean;
  /**
   * The fetch the model probe asks model-server pods with (runtime/model-probe.ts).
   * @default globalThis.fetch
   */
  modelProbeFetch?: typeof fetch;
}

export interface OperatorHandle {
  readonly metrics: OperatorMetrics;
  readonly healthPort: number;
  readonly metricsPort: number;
  /** Whether this replica leads (always true without leader election). */
  isLeader(): boolean;
  /** Enqueues every key, as the periodic resync does. */
  resync(): void;
  /** Resolves once every queue is empty and no reconcile runs. */
  idle(timeoutMs?: number): Promise<void>;
  /** Finishes in-flight reconciles, releases the Lease, stops watching. */
  stop(): Promise<void>;
}

export async function startOperator(options: OperatorOptions): Promise<OperatorHandle> {
  const { settings } = options;
  const logger = options.logger ?? createLogger(settings.logLevel);
  const metrics = createMetrics({ defaultMetrics: options.processMetrics ?? false });
  const client = await connect(options, metrics);
  const caches = createCaches(registrations, {
    client,
    metrics,
    logger,
    namespaces: settings.watchNamespaces,
  });
  const spendReader =
    settings.budgetSpend.redisUrl === undefined
      ? undefined
      : new RedisSpendReader({ url: settings.budgetSpend.redisUrl, logger });
  const observer = new Observer(caches, settings, undefined, spendReader);
  const mcpStatusReader =
    settings.budgetSpend.redisUrl === undefined || !settings.mcp.enabled
      ? undefined
      : new RedisMcpStatusReader(settings.budgetSpend.redisUrl);
  observer.mcpStatusReader = mcpStatusReader;
  const jwks =
    settings.jwksUrl === undefined
      ? undefined
      : new JwksFetcher({
          url: settings.jwksUrl,
          refreshMs: settings.jwksRefreshMs,
          logger,
          onChange: () => {
            group.resync();
          },
        });
  if (jwks !== undefined) observer.jwksFetched = () => jwks.current;
  observer.probeModel = modelProber({
    endpoints: endpointsFromSlices(client),
    ...(options.modelProbeFetch === undefined ? {} : { fetch: options.modelProbeFetch }),
  });
  const tracing = startOperatorTracing();
  const controllers = createControllers(registrations, caches, observer, {
    client,
    events: new EventRecorder(client, settings.leaderElection.identity, logger, metrics),
    metrics,
    logger,
    concurrency: settings.concurrency,
    tracer: tracing?.tracer,
  });
  enqueueOnChange(registrations, controllers, caches);
  const group = new ControllerGroup(registrations, controllers, caches);
  // Before the first reconcile, so that a reachable issuer's keys are there from the start.
  await jwks?.start();
  const health = await serveHealth(settings, metrics, caches, group);
  await syncCaches(caches, logger, settings.watchNamespaces, async () => {
    await health.close();
    await spendReader?.close();
    await mcpStatusReader?.close();
    client.close();
  });
  const elector = runWhileLeading(settings, client, group, logger, metrics);
  const resyncTimer = scheduleResync(settings.resyncMs, group);

  return {
    metrics,
    healthPort: health.healthPort,
    metricsPort: health.metricsPort,
    isLeader: () => elector?.isLeader ?? true,
    resync: () => {
      group.resync();
    },
    idle: (timeoutMs) => group.idle(timeoutMs),
    stop: async () => {
      if (!group.beginStopping()) return;
      if (resyncTimer !== undefined) clearInterval(resyncTimer);
      jwks?.stop();
      await group.stop();
      await elector?.stop();
      await Promise.all(caches.all.map((s) => s.stop()));
      await health.close();
      await spendReader?.close();
      await mcpStatusReader?.close();
      client.close();
      await tracing?.shutdown();
      logger.info('Stopped');
    },
  };
}

/** The API client, as the credentials given or found say, under the one field manager. */
async function connect(options: OperatorOptions, metrics: OperatorMetrics): Promise<KubeClient> {
  const { settings } = options;
  const credentials = options.credentials ?? (await loadCredentials(settings.kubeconfig));
  return new KubeClient(credentials, {
    metrics,
    qps: settings.apiQps,
    burst: settings.apiBurst,
    fieldManager: FIELD_MANAGER,
  });
}

/** /healthz, /readyz (ready once every cache synced, until shutdown) and /metrics. */
function serveHealth(
  settings: Settings,
  metrics: OperatorMetrics,
  caches: InformerCaches,
  group: ControllerGroup,
): Promise<HealthServers> {
  return startHealthServers(
    {
      registry: metrics.registry,
      notReady: () => {
        if (group.stopping) return 'shutting down';
        const pending = caches.all.filter((s) => !s.hasSynced).map((s) => s.type.plural);
        return pending.length === 0 ? undefined : `caches not synced: ${pending.join(', ')}`;
      },
    },
    {
      healthPort: settings.healthPort,
      metricsPort: settings.metricsPort,
      host: settings.bindAddress,
    },
  );
}

/** Starts every informer and waits for its first list; on failure stops them and cleans up. */
async function syncCaches(
  caches: InformerCaches,
  logger: Logger,
  namespaces: readonly string[],
  cleanUp: () => Promise<void>,
): Promise<void> {
  try {
    await Promise.all(caches.all.map((s) => s.start()));
  } catch (err) {
    await Promise.all(caches.all.map((s) => s.stop()));
    await cleanUp();
    throw err;
  }
  logger.info('Synced caches', { namespaces: namespaces.length === 0 ? 'all' : namespaces });
}

/**
 * Runs the controllers while this replica holds the Lease, or at once without leader election
 * (then there is no elector).
 */
function runWhileLeading(
  settings: Settings,
  client: KubeClient,
  group: ControllerGroup,
  logger: Logger,
  metrics: OperatorMetrics,
): LeaderElector | undefined {
  const election = settings.leaderElection;
  if (!election.enabled) {
    metrics.leader.set(1);
    group.start();
    return undefined;
  }
  const elector = new LeaderElector({
    client,
    namespace: election.leaseNamespace,
    name: election.leaseName,
    identity: election.identity,
    leaseDurationMs: election.leaseDurationMs,
    renewDeadlineMs: election.renewDeadlineMs,
    retryPeriodMs: election.retryPeriodMs,
    logger,
    metrics,
    onStartedLeading: () => {
      group.start();
    },
    onStoppedLeading: () => {
      void group.stop();
    },
  });
  elector.start();
  return elector;
}

/** Enqueues every key each resyncMs while the controllers run (0: never). */
function scheduleResync(
  resyncMs: number,
  group: ControllerGroup,
): ReturnType<typeof setInterval> | undefined {
  if (resyncMs <= 0) return undefined;
  const timer = setInterval(() => {
    group.resync();
  }, resyncMs);
  timer.unref();
  return timer;
}

/** The controllers as one: started and stopped together, resynced together, idle together. */
class ControllerGroup {
  readonly #registrations: readonly Registration[];
  readonly #controllers: readonly Controller[];
  readonly #caches: InformerCaches;
  #running = false;
  #stopping = false;

  constructor(
    registrations: readonly Registration[],
    controllers: readonly Controller[],
    caches: InformerCaches,
  ) {
    this.#registrations = registrations;
    this.#controllers = controllers;
    this.#caches = caches;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Marks the operator as shutting down; false when it already was. */
  beginStopping(): boolean {
    if (this.#stopping) return false;
    this.#stopping = true;
    return true;
  }

  /** Starts every queue and enqueues every key (a new leader reconciles everything). */
  start(): void {
    if (this.#running || this.#stopping) return;
    this.#running = true;
    for (const controller of this.#controllers) controller.start();
    this.resync();
  }

  /** Enqueues every key, while running. */
  resync(): void {
    if (this.#running) enqueueAll(this.#registrations, this.#controllers, this.#caches);
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await Promise.all(this.#controllers.map((c) => c.stop()));
  }

  /** Idle means: nothing queued or running across two checks 50 ms apart. */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    while (quiet < 2) {
      const busy = this.#controllers.some((c) => c.queue.depth > 0 || c.queue.inFlight > 0);
      quiet = busy ? 0 : quiet + 1;
      if (Date.now() > deadline) throw new Error('The operator did not become idle in time.');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
