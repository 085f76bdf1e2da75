/**
 * The API resources the operator reads and writes, and their REST paths. Every request the
 * runtime makes names one of these, which is what lets the RBAC table (rbac.ts) be checked
 * against what the runtime actually uses.
 */
import { API_VERSION, GROUP, VERSION } from '../../../crds/common.ts';

export interface ResourceType {
  /** API group; '' for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Lowercase plural, as in REST paths and RBAC rules. */
  readonly plural: string;
  readonly namespaced: boolean;
}

/** `apiVersion` as written in objects: `v1`, `apps/v1`. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** REST path of a collection (namespace undefined: across all namespaces) or of one object. */
export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const root = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const scope =
    type.namespaced && namespace !== undefined
      ? `${root}/namespaces/${encodeURIComponent(namespace)}`
      : root;
  let path = `${scope}/${type.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

const crd = (kind: string, plural: string): ResourceType => ({
  group: GROUP,
  version: VERSION,
  kind,
  plural,
  namespaced: true,
});

export const InferenceModels = crd('InferenceModel', 'inferencemodels');
export const PromptManifests = crd('PromptManifest', 'promptmanifests');
export const ProviderRoutes = crd('ProviderRoute', 'providerroutes');
export const TenantBudgets = crd('TenantBudget', 'tenantbudgets');
export const MCPGateways = crd('MCPGateway', 'mcpgateways');

export const ConfigMaps: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
};
export const Secrets: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
};
export const Services: ResourceType = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  namespaced: true,
};
export const Deployments: ResourceType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
};
export const NetworkPolicies: ResourceType = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  namespaced: true,
};
export const Leases: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
};
export const Events: ResourceType = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
};

/** The five kinds of inference.enis.io, which own children and carry status. */
export const CUSTOM_RESOURCES = [
  InferenceModels,
  PromptManifests,
  ProviderRoutes,
  TenantBudgets,
  MCPGateways,
] as const;

/** Kinds the operator renders as children (and prunes). */
export const CHILD_RESOURCES = [
  ConfigMaps,
  Secrets,
  Services,
  Deployments,
  NetworkPolicies,
] as const;

export const ALL_RESOURCES: readonly ResourceType[] = [
  ...CUSTOM_RESOURCES,
  ...CHILD_RESOURCES,
  Leases,
  Events,
];

/** The resource type of an object, by apiVersion and kind. */
export function resourceTypeOf(apiVersion: string, kind: string): ResourceType {
  const type = ALL_RESOURCES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  if (type === undefined) throw new Error(`Unknown resource ${apiVersion} ${kind}`);
  return type;
}

export { API_VERSION };
