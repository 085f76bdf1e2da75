/**
 * Shared plumbing of the operator's integration tests: the CRDs installed on the test control
 * plane, a namespace per test, the operator's ServiceAccount bound to exactly the generated
 * RBAC, an operator started in-process under that identity, and polling helpers. Tests assert
 * what the API server holds.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { inject } from 'vitest';
import { mintKubeconfig, serviceAccountIdentity } from '../../tests/cluster/harness.ts';
import { GROUP, VERSION } from '../../crds/common.ts';
import { toK8sRules } from '../src/chart-files.ts';
import { startOperator, type OperatorHandle } from '../src/operator.ts';
import { CLUSTER_RULES, LEADER_ELECTION_RULES } from '../src/runtime/rbac.ts';
import { createLogger } from '../src/runtime/log.ts';
import { loadSettings } from '../src/settings.ts';
import { installCrds as installGeneratedCrds } from '../../tests/support/crds.ts';
import { eventually } from '../../tests/support/eventually.ts';
import { simulatedModelPods } from '../../tests/support/simulated-model-pods.ts';

export const kubeconfigPath = inject('kubeconfig');
export const clusterDir = inject('clusterDir');
export const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
export const core = kc.makeApiClient(CoreV1Api);
export const apps = kc.makeApiClient(AppsV1Api);
export const networking = kc.makeApiClient(NetworkingV1Api);
export const objects = kc.makeApiClient(CustomObjectsApi);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

const server = kc.getCurrentCluster()?.server ?? '';
if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(server)) {
  throw new Error(`KUBECONFIG must point at the loopback test cluster; got "${server}"`);
}

export const PLURALS = {
  InferenceModel: 'inferencemodels',
  PromptManifest: 'promptmanifests',
  ProviderRoute: 'providerroutes',
  TenantBudget: 'tenantbudgets',
  MCPGateway: 'mcpgateways',
} as const;
export type Kind = keyof typeof PLURALS;

/** Server-side applies the generated CRDs and waits until every one is Established. */
export function installCrds(): Promise<void> {
  return installGeneratedCrds(kc);
}

/** A fresh namespace, deleted by cleanup(). */
const created: string[] = [];
export async function newNamespace(prefix = 'op'): Promise<string> {
  const ns = await core.createNamespace({ body: { metadata: { generateName: `${prefix}-` } } });
  created.push(ns.metadata!.name!);
  return ns.metadata!.name!;
}

export async function deleteNamespaces(): Promise<void> {
  await Promise.allSettled(created.splice(0).map((name) => core.deleteNamespace({ name })));
}

/**
 * The operator's ServiceAccount in namespace, bound to the generated ClusterRole rules (for
 * the watched namespaces) and the leader-election Role (in namespace); resolves to a kubeconfig
 * that authenticates as that ServiceAccount.
 */
export async function operatorIdentity(namespace: string): Promise<string> {
  const name = 'inference-operator';
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const roleName = `inference-operator-${namespace}`;
  await rbac.createClusterRole({
    body: { metadata: { name: roleName }, rules: toK8sRules(CLUSTER_RULES) },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  await rbac.createNamespacedRole({
    namespace,
    body: { metadata: { name: 'leader-election' }, rules: toK8sRules(LEADER_ELECTION_RULES) },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'leader-election' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leader-election' },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    },
  });
  clusterRoles.push(roleName);
  const { user, groups } = serviceAccountIdentity(namespace, name);
  const path = await mintKubeconfig(clusterDir, user, groups);
  // The authorizer learns new bindings through its informers: wait until the role applies.
  const probe = new KubeConfig();
  probe.loadFromFile(path);
  const asOperator = probe.makeApiClient(CoreV1Api);
  await eventually(() => asOperator.listNamespacedSecret({ namespace }).then(() => true), 10_000);
  return path;
}

const clusterRoles: string[] = [];
export async function deleteClusterRoles(): Promise<void> {
  await Promise.allSettled(
    clusterRoles
      .splice(0)
      .flatMap((name) => [
        rbac.deleteClusterRole({ name }),
        rbac.deleteClusterRoleBinding({ name }),
      ]),
  );
}

/** A JWKS with one freshly generated EC public key. */
export function testJwks(): string {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    format: 'jwk',
  });
  return JSON.stringify({ keys: [{ ...jwk, kid: 'test-1', use: 'sig', alg: 'ES256' }] });
}

/**
 * The environment of an operator that watches namespaces and elects a leader in the first of
 * them, with short lease durations.
 */
export function operatorEnv(
  namespaces: readonly string[],
  kubeconfig: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KUBECONFIG: kubeconfig,
    INFERENCE_WATCH_NAMESPACES: namespaces.join(','),
    INFERENCE_LEASE_NAMESPACE: namespaces[0] ?? 'default',
    INFERENCE_AUTH_JWKS: testJwks(),
    INFERENCE_HEALTH_PORT: '0',
    INFERENCE_METRICS_PORT: '0',
    INFERENCE_BIND_ADDRESS: '127.0.0.1',
    INFERENCE_LEASE_DURATION_MS: '3000',
    INFERENCE_RENEW_DEADLINE_MS: '2000',
    INFERENCE_RETRY_PERIOD_MS: '500',
    INFERENCE_RESYNC_MS: '0',
    INFERENCE_LOG_LEVEL: process.env['OPERATOR_TEST_LOG'] ?? 'silent',
    ...extra,
  };
}

/** Starts the operator in this process, as the operator's ServiceAccount. */
export async function startTestOperator(
  namespaces: readonly string[],
  kubeconfig: string,
  extra: Record<string, string> = {},
  /** How the operator reaches model-server pods. @default the simulated pods' answers */
  modelProbeFetch: typeof fetch = simulatedModelPods(core),
): Promise<OperatorHandle> {
  const settings = loadSettings(operatorEnv(namespaces, kubeconfig, extra), []);
  return startOperator({ settings, logger: createLogger(settings.logLevel), modelProbeFetch });
}

export { eventually };

export interface Custom {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
  spec: Record<string, unknown>;
  status?: {
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      observedGeneration?: number;
      lastTransitionTime: string;
    }[];
    observedGeneration?: number;
    [field: string]: unknown;
  };
}

export async function createResource(
  namespace: string,
  body: { kind: string; metadata: object; spec: unknown },
): Promise<Custom> {
  return (await objects.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURALS[body.kind as Kind],
    body: { apiVersion: `${GROUP}/${VERSION}`, ...body },
  })) as Custom;
}

export async function getResource(namespace: string, kind: Kind, name: string): Promise<Custom> {
  return (await objects.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURALS[kind],
    name,
  })) as Custom;
}

export async function patchSpec(
  namespace: string,
  kind: Kind,
  name: string,
  spec: Record<string, unknown>,
): Promise<Custom> {
  return (await objects.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace, plural: PLURALS[kind], name, body: { spec } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as Custom;
}

export async function deleteResource(namespace: string, kind: Kind, name: string): Promise<void> {
  await objects.deleteNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURALS[kind],
    name,
  });
}

export function condition(
  object: Custom,
  type: string,
):
  | {
      status: string;
      reason: string;
      message: string;
      observedGeneration?: number;
      lastTransitionTime: string;
    }
  | undefined {
  return object.status?.conditions?.find((c) => c.type === type);
}

/** Resolves once the resource's condition has the status (and reason, when given). */
export async function waitForCondition(
  namespace: string,
  kind: Kind,
  name: string,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 30_000,
): Promise<Custom> {
  return eventually(async () => {
    const object = await getResource(namespace, kind, name);
    const c = condition(object, type);
    return c?.status === status && (reason === undefined || c.reason === reason)
      ? object
      : undefined;
  }, timeoutMs);
}

/** Whether a request failed with 404. */
export async function isGone(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return false;
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return true;
    throw err;
  }
}

/** The status code and message of a request that should have failed. */
export async function failure(
  request: Promise<unknown>,
): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = err.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
    try {
      return {
        code: err.code,
        message: (JSON.parse(text) as { message?: string }).message ?? text,
      };
    } catch {
      return { code: err.code, message: text };
    }
  }
  throw new Error('the request succeeded, but it should have failed');
}
