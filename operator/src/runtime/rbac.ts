/**
 * The operator's permissions: one table, from which the Helm chart's ClusterRole and Role are
 * generated (`make gen`, drift-checked), and against which the client checks every request it
 * makes. A request outside the table throws before it is sent, so a new API call cannot ship
 * without its permission, and the tests (which run the operator under exactly these rules)
 * prove the table is enough.
 */
import { CUSTOM_RESOURCES, type ResourceType } from './resources.ts';

export const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;
export type Verb = (typeof VERBS)[number];

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  /** A server-side apply that may create the object needs create as well as patch. */
  readonly verbs: readonly Verb[];
  /** Why the operator needs it; becomes a comment in the generated YAML. */
  readonly reason: string;
}

const crdPlurals = CUSTOM_RESOURCES.map((t) => t.plural);

/** Cluster-wide (or, with watched namespaces, per namespace) permissions. */
export const CLUSTER_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ['inference.enis.io'],
    resources: crdPlurals,
    verbs: ['list', 'watch'],
    reason: 'Informers over the five kinds.',
  },
  {
    apiGroups: ['inference.enis.io'],
    resources: crdPlurals.map((p) => `${p}/status`),
    verbs: ['patch'],
    reason: 'Status is written by server-side apply on the status subresource, never spec.',
  },
  {
    apiGroups: [''],
    resources: ['configmaps', 'secrets'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
    reason:
      'Renders the config contract (apply), prunes it, and reads the Secrets and ConfigMaps that resources reference.',
  },
  {
    apiGroups: [''],
    resources: ['services'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
    reason: 'Gateway and model-server Services.',
  },
  {
    apiGroups: ['apps'],
    resources: ['deployments'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
    reason: 'Gateway and model-server Deployments; their status feeds the conditions.',
  },
  {
    apiGroups: ['discovery.k8s.io'],
    resources: ['endpointslices'],
    verbs: ['list'],
    reason:
      'The ready model-server pods of a colour, whose version and smoke answer gate a rollout.',
  },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies'],
    verbs: ['list', 'watch', 'create', 'patch', 'delete'],
    reason: 'Egress policy of the gateway.',
  },
  {
    apiGroups: ['events.k8s.io'],
    resources: ['events'],
    verbs: ['create'],
    reason: 'Events for notable transitions.',
  },
];

/** Permissions in the operator's own namespace only. */
export const LEADER_ELECTION_RULES: readonly PolicyRule[] = [
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    verbs: ['get', 'create', 'update'],
    reason: 'Leader election: one replica reconciles, the others stand by.',
  },
];

const ALL_RULES = [...CLUSTER_RULES, ...LEADER_ELECTION_RULES];

/** `group/resource[/subresource]`, as rules name it. */
function resourceName(type: ResourceType, subresource?: string): string {
  return subresource === undefined ? type.plural : `${type.plural}/${subresource}`;
}

export function isGranted(type: ResourceType, verb: Verb, subresource?: string): boolean {
  const resource = resourceName(type, subresource);
  return ALL_RULES.some(
    (rule) =>
      rule.apiGroups.includes(type.group) &&
      rule.resources.includes(resource) &&
      rule.verbs.includes(verb),
  );
}

const used = new Set<string>();

/**
 * Notes that the runtime is about to use verb on the resource, and refuses it when the RBAC
 * table does not grant it.
 */
export function recordUse(type: ResourceType, verb: Verb, subresource?: string): void {
  if (!isGranted(type, verb, subresource)) {
    throw new Error(
      `The RBAC table (operator/src/runtime/rbac.ts) does not grant ${verb} on ${type.group || 'core'}/${resourceName(type, subresource)}.`,
    );
  }
  used.add(`${type.group}|${resourceName(type, subresource)}|${verb}`);
}

/** Every (group, resource, verb) this process has used, for the test that the table is minimal. */
export function usedPermissions(): ReadonlySet<string> {
  return used;
}

/** Every (group, resource, verb) the table grants, in the same notation as usedPermissions. */
export function grantedPermissions(): string[] {
  return ALL_RULES.flatMap((rule) =>
    rule.apiGroups.flatMap((group) =>
      rule.resources.flatMap((resource) =>
        rule.verbs.map((verb) => `${group}|${resource}|${verb}`),
      ),
    ),
  );
}
