/**
 * startOperator: the manager. It builds the informers (one set per resource type, over the
 * watched namespaces), one controller per kind plus the namespace-keyed gateway controller,
 * maps every change to the keys it affects, and runs the controllers only while this replica
 * holds the leader Lease. main.ts and the tests both start the operator through here.
 */
import type { InferenceModel } from '../../crds/inference-model.ts';
import type { MCPGateway } from '../../crds/mcp-gateway.ts';
import type { PromptManifest } from '../../crds/prompt-manifest.ts';
import type { ProviderRoute } from '../../crds/provider-route.ts';
import type { TenantBudget } from '../../crds/tenant-budget.ts';
import { reconcileGateway, type GatewayRenderSettings } from './controllers/gateway.ts';
import { reconcileInferenceModel } from './controllers/inference-model.ts';
import { reconcileMCPGateway } from './controllers/mcp-gateway.ts';
import { reconcilePromptManifest } from './controllers/prompt-manifest.ts';
import { reconcileProviderRoute } from './controllers/provider-route.ts';
import { reconcileTenantBudget } from './controllers/tenant-budget.ts';
import {
  CONFIGMAP_INDEX,
  MODEL_INDEX,
  Observer,
  SECRET_INDEX,
  mcpSecrets,
  routeConfigMaps,
  routeModels,
  routeSecrets,
  type Caches,
} from './observe.ts';
import { GATEWAY_OWNER, MANAGED_BY, MANAGER, ownerValue } from './render/labels.ts';
import type { ModelServerSettings } from './render/model-server.ts';
import { Applier, OWNER_INDEX, ownerIndex } from './runtime/applier.ts';
import { Controller, type ControllerDefinition } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { startHealthServers, type HealthServers } from './runtime/health.ts';
import { InformerSet } from './runtime/informer-set.ts';
import { loadCredentials, type Credentials } from './runtime/credentials.ts';
import { KubeClient } from './runtime/kube-client.ts';
import { LeaderElector } from './runtime/leader-election.ts';
import { createLogger, type Logger } from './runtime/log.ts';
import { createMetrics, type OperatorMetrics } from './runtime/metrics.ts';
import { splitKey, type KubeObject } from './runtime/objects.ts';
import {
  ConfigMaps,
  Deployments,
  InferenceModels,
  MCPGateways,
  NetworkPolicies,
  PromptManifests,
  ProviderRoutes,
  Secrets,
  Services,
  TenantBudgets,
  CHILD_RESOURCES,
  type ResourceType,
} from './runtime/resources.ts';
import { StatusWriter } from './runtime/status-writer.ts';
import { mapChangesToKeys } from './watches.ts';
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
  const credentials = options.credentials ?? (await loadCredentials(settings.kubeconfig));
  const client = new KubeClient(credentials, {
    metrics,
    qps: settings.apiQps,
    burst: settings.apiBurst,
    fieldManager: FIELD_MANAGER,
  });
  const namespaces = settings.watchNamespaces;
  const informer = <T extends KubeObject>(
    type: ResourceType,
    labelSelector?: string,
  ): InformerSet<T> =>
    new InformerSet<T>(
      { client, type, metrics, logger, ...(labelSelector === undefined ? {} : { labelSelector }) },
      namespaces,
    );
  const managed = `${MANAGED_BY}=${MANAGER}`;
  const sets = {
    models: informer<InferenceModel & KubeObject>(InferenceModels),
    prompts: informer<PromptManifest & KubeObject>(PromptManifests),
    routes: informer<ProviderRoute & KubeObject>(ProviderRoutes),
    budgets: informer<TenantBudget & KubeObject>(TenantBudgets),
    mcpGateways: informer<MCPGateway & KubeObject>(MCPGateways),
    configMaps: informer<KubeObject & { data?: Record<string, string> }>(ConfigMaps),
    secrets: informer<KubeObject & { data?: Record<string, string> }>(Secrets),
    deployments: informer(Deployments, managed),
    services: informer(Services, managed),
    networkPolicies: informer(NetworkPolicies, managed),
  };
  const caches: Caches = sets;
  const childSets = new Map<ResourceType, InformerSet>([
    [ConfigMaps, sets.configMaps],
    [Secrets, sets.secrets],
    [Services, sets.services],
    [Deployments, sets.deployments],
    [NetworkPolicies, sets.networkPolicies],
  ]);
  for (const set of childSets.values()) set.addIndex(OWNER_INDEX, ownerIndex);
  sets.routes.addIndex(SECRET_INDEX, routeSecrets);
  sets.routes.addIndex(CONFIGMAP_INDEX, routeConfigMaps);
  sets.routes.addIndex(MODEL_INDEX, routeModels);
  sets.mcpGateways.addIndex(SECRET_INDEX, mcpSecrets);

  const applier = new Applier(client, childSets, logger);
  const statusWriter = new StatusWriter(client, [
    sets.models,
    sets.prompts,
    sets.routes,
    sets.budgets,
    sets.mcpGateways,
  ]);
  const events = new EventRecorder(client, settings.leaderElection.identity, logger, metrics);
  const observer = new Observer(caches, settings.gateway.env);
  const deps = {
    applier,
    statusWriter,
    events,
    metrics,
    logger,
    concurrency: settings.concurrency,
  };

  const modelServer: ModelServerSettings = {
    image: settings.modelServerImage,
    imagePullPolicy: settings.gateway.imagePullPolicy,
  };
  const gatewayRender: GatewayRenderSettings = {
    workload: settings.gateway,
    gatewayConfig: settings.gatewayConfig,
    jwks: settings.jwks,
    airGapped: settings.airGapped,
    resumeKeys: settings.resumeKeys,
  };
  const own = (kind: string) => (key: string) => ownerValue(kind, key.slice(key.indexOf('/') + 1));
  const kindController = <O, S>(
    def: Omit<ControllerDefinition<O, S>, 'target' | 'children'> & {
      cache: { get(namespace: string, name: string): KubeObject | undefined };
      kind: string;
      childTypes?: readonly ResourceType[];
    },
  ): Controller<O, S> =>
    new Controller<O, S>(
      {
        ...def,
        target: (key) => {
          const { namespace, name } = splitKey(key);
          return def.cache.get(namespace, name);
        },
        children: { owner: own(def.kind), types: def.childTypes ?? [] },
      },
      deps,
    );

  const controllers = {
    models: kindController({
      name: 'inferencemodel',
      kind: 'InferenceModel',
      cache: sets.models,
      targetType: InferenceModels,
      childTypes: [Deployments, Services],
      observe: (key) => observer.inferenceModel(key, modelServer),
      reconcile: reconcileInferenceModel,
    }),
    prompts: kindController({
      name: 'promptmanifest',
      kind: 'PromptManifest',
      cache: sets.prompts,
      targetType: PromptManifests,
      observe: (key) => observer.promptManifest(key),
      reconcile: reconcilePromptManifest,
    }),
    routes: kindController({
      name: 'providerroute',
      kind: 'ProviderRoute',
      cache: sets.routes,
      targetType: ProviderRoutes,
      observe: (key) => observer.providerRoute(key, settings.airGapped),
      reconcile: reconcileProviderRoute,
    }),
    budgets: kindController({
      name: 'tenantbudget',
      kind: 'TenantBudget',
      cache: sets.budgets,
      targetType: TenantBudgets,
      observe: (key) => observer.tenantBudget(key),
      reconcile: reconcileTenantBudget,
    }),
    mcpGateways: kindController({
      name: 'mcpgateway',
      kind: 'MCPGateway',
      cache: sets.mcpGateways,
      targetType: MCPGateways,
      observe: (key) => observer.mcpGateway(key, settings.airGapped),
      reconcile: reconcileMCPGateway,
    }),
    gateway: new Controller(
      {
        name: 'gateway',
        observe: (key) => observer.gateway(key, gatewayRender),
        reconcile: reconcileGateway,
        children: { owner: () => GATEWAY_OWNER, types: CHILD_RESOURCES },
      },
      deps,
    ),
  };

  const { enqueueAll } = mapChangesToKeys(sets, controllers);

  // --- lifecycle -------------------------------------------------------------------------
  const allSets = Object.values(sets);
  const allControllers = Object.values(controllers) as Controller[];
  let stopping = false;
  let running = false;
  const startControllers = (): void => {
    if (running || stopping) return;
    running = true;
    for (const controller of allControllers) controller.start();
    enqueueAll();
  };
  const stopControllers = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await Promise.all(allControllers.map((c) => c.stop()));
  };

  const health: HealthServers = await startHealthServers(
    {
      registry: metrics.registry,
      notReady: () => {
        if (stopping) return 'shutting down';
        const pending = allSets.filter((s) => !s.hasSynced).map((s) => s.type.plural);
        return pending.length === 0 ? undefined : `caches not synced: ${pending.join(', ')}`;
      },
    },
    {
      healthPort: settings.healthPort,
      metricsPort: settings.metricsPort,
      host: settings.bindAddress,
    },
  );

  try {
    await Promise.all(allSets.map((s) => s.start()));
  } catch (err) {
    await Promise.all(allSets.map((s) => s.stop()));
    await health.close();
    client.close();
    throw err;
  }
  logger.info('Synced caches', { namespaces: namespaces.length === 0 ? 'all' : namespaces });

  const elector = settings.leaderElection.enabled
    ? new LeaderElector({
        client,
        namespace: settings.leaderElection.leaseNamespace,
        name: settings.leaderElection.leaseName,
        identity: settings.leaderElection.identity,
        leaseDurationMs: settings.leaderElection.leaseDurationMs,
        renewDeadlineMs: settings.leaderElection.renewDeadlineMs,
        retryPeriodMs: settings.leaderElection.retryPeriodMs,
        logger,
        metrics,
        onStartedLeading: startControllers,
        onStoppedLeading: () => {
          void stopControllers();
        },
      })
    : undefined;
  if (elector === undefined) {
    metrics.leader.set(1);
    startControllers();
  } else elector.start();

  const resyncTimer =
    settings.resyncMs > 0
      ? setInterval(() => {
          if (running) enqueueAll();
        }, settings.resyncMs)
      : undefined;
  resyncTimer?.unref();

  return {
    metrics,
    healthPort: health.healthPort,
    metricsPort: health.metricsPort,
    isLeader: () => elector?.isLeader ?? true,
    resync: () => {
      if (running) enqueueAll();
    },
    idle: async (timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      let quiet = 0;
      // Idle means: nothing queued or running across two checks 50 ms apart.
      while (quiet < 2) {
        const busy = allControllers.some((c) => c.queue.depth > 0 || c.queue.inFlight > 0);
        quiet = busy ? 0 : quiet + 1;
        if (Date.now() > deadline) throw new Error('The operator did not become idle in time.');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => {
      if (stopping) return;
      stopping = true;
      if (resyncTimer !== undefined) clearInterval(resyncTimer);
      await stopControllers();
      await elector?.stop();
      await Promise.all(allSets.map((s) => s.stop()));
      await health.close();
      client.close();
      logger.info('Stopped');
    },
  };
}
