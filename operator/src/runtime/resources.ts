/**
 * The API resources the operator reads and writes, and their REST paths. Every request the
 * runtime makes names one of these, which is what lets the RBAC table (rbac.ts) be checked
 * against what the runtime actually uses. The custom resources are the kinds of crds/index.ts:
 * a new kind there is a new resource here, and in the RBAC table.
 */
import { API_VERSION, GROUP, VERSION, type KindDescriptor } from '../../../crds/common.ts';
import { kinds } from '../../../crds/index.ts';

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

const crd = ({ kind, plural }: KindDescriptor): ResourceType => ({
  group: GROUP,
  version: VERSION,
  kind,
  plural,
  namespaced: true,
});

/** The kinds of inference.enis.io, which own children and carry status, as crds/ lists them. */
export const CUSTOM_RESOURCES: readonly ResourceType[] = kinds.map(crd);

/** The custom resource of kind (one object per kind, so it can key maps). */
export function customResource(kind: string): ResourceType {
  const type = CUSTOM_RESOURCES.find((t) => t.kind === kind);
  if (type === undefined) throw new Error(`${kind} is not a kind of crds/index.ts`);
  return type;
}

export const InferenceModels = customResource('InferenceModel');
export const PromptManifests = customResource('PromptManifest');
export const ProviderRoutes = customResource('ProviderRoute');
export const TenantBudgets = customResource('TenantBudget');
export const MCPGateways = customResource('MCPGateway');

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
/** Listed, not watched: the model probe reads a colour's ready pods (runtime/model-probe.ts). */
export const EndpointSlices: ResourceType = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
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
  EndpointSlices,
];

/** The resource type of an object, by apiVersion and kind. */
export function resourceTypeOf(apiVersion: string, kind: string): ResourceType {
  const type = ALL_RESOURCES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  if (type === undefined) throw new Error(`Unknown resource ${apiVersion} ${kind}`);
  return type;
}

export { API_VERSION };
