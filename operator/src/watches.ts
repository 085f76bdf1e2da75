/**
 * Which keys a change enqueues. The queues carry keys, never events: a change of any kind only
 * says which resources must be reconciled again; what changed is read from the caches then.
 */
import type { InferenceModel } from '../../crds/inference-model.ts';
import type { MCPGateway } from '../../crds/mcp-gateway.ts';
import type { PromptManifest } from '../../crds/prompt-manifest.ts';
import type { ProviderRoute } from '../../crds/provider-route.ts';
import type { TenantBudget } from '../../crds/tenant-budget.ts';
import { CONFIGMAP_INDEX, MODEL_INDEX, SECRET_INDEX } from './observe.ts';
import { GATEWAY_NAMES, GATEWAY_OWNER, MANAGED_BY, MANAGER, OWNER_LABEL } from './render/labels.ts';
import { ownerIndex } from './runtime/applier.ts';
import type { InformerSet } from './runtime/informer-set.ts';
import { objectKey, type KubeObject } from './runtime/objects.ts';

export interface WatchedSets {
  models: InformerSet<InferenceModel & KubeObject>;
  prompts: InformerSet<PromptManifest & KubeObject>;
  routes: InformerSet<ProviderRoute & KubeObject>;
  budgets: InformerSet<TenantBudget & KubeObject>;
  mcpGateways: InformerSet<MCPGateway & KubeObject>;
  configMaps: InformerSet;
  secrets: InformerSet;
  deployments: InformerSet;
  services: InformerSet;
  networkPolicies: InformerSet;
}

interface Enqueuer {
  enqueue(key: string): void;
}

export interface KeyedControllers {
  models: Enqueuer;
  prompts: Enqueuer;
  routes: Enqueuer;
  budgets: Enqueuer;
  mcpGateways: Enqueuer;
  gateway: Enqueuer;
}

/** The gateway controller's key of a namespace. */
export const gatewayKey = (namespace: string): string => `${namespace}/${GATEWAY_OWNER}`;

type Listing = { list(namespace?: string): KubeObject[] };

/** Subscribes to every informer; returns enqueueAll, which a resync calls. */
export function mapChangesToKeys(
  sets: WatchedSets,
  controllers: KeyedControllers,
): { enqueueAll: () => void } {
  const allIn = (set: Listing, controller: Enqueuer, namespace: string): void => {
    for (const object of set.list(namespace)) controller.enqueue(objectKey(object));
  };
  const onKind = <T extends KubeObject>(
    set: InformerSet<T>,
    controller: Enqueuer,
    alsoEnqueue?: (namespace: string) => void,
  ): void => {
    set.on((_change, object) => {
      const namespace = object.metadata.namespace ?? '';
      // Peers of the same kind decide together (alias, tenant, prompt version conflicts).
      allIn(set, controller, namespace);
      controllers.gateway.enqueue(gatewayKey(namespace));
      alsoEnqueue?.(namespace);
    });
  };
  sets.models.on((_change, object) => {
    const namespace = object.metadata.namespace ?? '';
    controllers.models.enqueue(objectKey(object));
    controllers.gateway.enqueue(gatewayKey(namespace));
    for (const route of sets.routes.byIndex(MODEL_INDEX, objectKey(object)))
      controllers.routes.enqueue(objectKey(route));
  });
  onKind(sets.prompts, controllers.prompts);
  onKind(sets.routes, controllers.routes, (namespace) => {
    allIn(sets.mcpGateways, controllers.mcpGateways, namespace);
  });
  onKind(sets.budgets, controllers.budgets);
  onKind(sets.mcpGateways, controllers.mcpGateways);

  /** A child changed: its owner reconciles (and restores it if it was edited or deleted). */
  const onChild = (object: KubeObject): void => {
    const namespace = object.metadata.namespace ?? '';
    for (const ref of object.metadata.ownerReferences ?? []) {
      if (ref.kind === 'InferenceModel') controllers.models.enqueue(`${namespace}/${ref.name}`);
    }
    const labels = object.metadata.labels ?? {};
    if (labels[MANAGED_BY] === MANAGER && labels[OWNER_LABEL] === GATEWAY_OWNER) {
      controllers.gateway.enqueue(gatewayKey(namespace));
      // The rendered contract changed: statuses that report it follow.
      if (object.metadata.name === GATEWAY_NAMES.config) {
        allIn(sets.routes, controllers.routes, namespace);
        allIn(sets.budgets, controllers.budgets, namespace);
        allIn(sets.mcpGateways, controllers.mcpGateways, namespace);
      }
      if (object.metadata.name === GATEWAY_NAMES.prompts)
        allIn(sets.prompts, controllers.prompts, namespace);
    }
  };
  for (const set of [sets.deployments, sets.services, sets.networkPolicies]) {
    set.on((_change, object) => {
      onChild(object);
    });
  }
  /** A referenced Secret or ConfigMap changed: whoever references it reconciles. */
  sets.secrets.on((_change, object) => {
    onChild(object);
    const key = objectKey(object);
    const routes = sets.routes.byIndex(SECRET_INDEX, key);
    const gateways = sets.mcpGateways.byIndex(SECRET_INDEX, key);
    for (const route of routes) controllers.routes.enqueue(objectKey(route));
    for (const gateway of gateways) controllers.mcpGateways.enqueue(objectKey(gateway));
    if (routes.length + gateways.length > 0)
      controllers.gateway.enqueue(gatewayKey(object.metadata.namespace ?? ''));
  });
  sets.configMaps.on((_change, object) => {
    onChild(object);
    const routes = sets.routes.byIndex(CONFIGMAP_INDEX, objectKey(object));
    for (const route of routes) controllers.routes.enqueue(objectKey(route));
    if (routes.length > 0) controllers.gateway.enqueue(gatewayKey(object.metadata.namespace ?? ''));
  });

  /** Every key there is: what a resync (and a new leader) reconciles. */
  const enqueueAll = (): void => {
    const gatewayNamespaces = new Set<string>();
    for (const [set, controller] of [
      [sets.models, controllers.models],
      [sets.prompts, controllers.prompts],
      [sets.routes, controllers.routes],
      [sets.budgets, controllers.budgets],
      [sets.mcpGateways, controllers.mcpGateways],
    ] as const) {
      for (const object of (set as Listing).list()) {
        controller.enqueue(objectKey(object));
        gatewayNamespaces.add(object.metadata.namespace ?? '');
      }
    }
    // Namespaces whose resources are gone but whose rendered children remain get pruned.
    for (const set of [
      sets.configMaps,
      sets.secrets,
      sets.services,
      sets.deployments,
      sets.networkPolicies,
    ]) {
      for (const object of set.list()) {
        if (ownerIndex(object).length > 0) gatewayNamespaces.add(object.metadata.namespace ?? '');
      }
    }
    for (const namespace of gatewayNamespaces) controllers.gateway.enqueue(gatewayKey(namespace));
  };

  return { enqueueAll };
}
