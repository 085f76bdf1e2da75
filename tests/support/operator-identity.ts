/**
 * The operator as the chart runs it: its own ServiceAccount, bound to the generated RBAC
 * (operator/src/runtime/rbac.ts), with a kubeconfig that authenticates as it on the test cluster.
 */
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { toK8sRules } from '../../operator/src/chart-files.ts';
import { CLUSTER_RULES, LEADER_ELECTION_RULES } from '../../operator/src/runtime/rbac.ts';
import { mintKubeconfig, serviceAccountIdentity } from '../cluster/harness.ts';
import { eventually } from './eventually.ts';

/**
 * The operator's ServiceAccount in namespace, bound to the generated ClusterRole rules and the
 * leader-election Role; resolves to a kubeconfig that authenticates as it.
 */
export async function operatorIdentity(
  kc: KubeConfig,
  clusterDir: string,
  namespace: string,
): Promise<{ kubeconfig: string; cleanup: () => Promise<void> }> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const name = 'inference-operator';
  const ignoreExists = (err: unknown): void => {
    if ((err as { code?: number }).code !== 409) throw err;
  };
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    .catch(ignoreExists);
  const roleName = `inference-operator-${namespace}`;
  await rbac
    .createClusterRole({ body: { metadata: { name: roleName }, rules: toK8sRules(CLUSTER_RULES) } })
    .catch(ignoreExists);
  await rbac
    .createClusterRoleBinding({
      body: {
        metadata: { name: roleName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    })
    .catch(ignoreExists);
  await rbac
    .createNamespacedRole({
      namespace,
      body: { metadata: { name: 'leader-election' }, rules: toK8sRules(LEADER_ELECTION_RULES) },
    })
    .catch(ignoreExists);
  await rbac
    .createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'leader-election' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leader-election' },
        subjects: [{ kind: 'ServiceAccount', name, namespace }],
      },
    })
    .catch(ignoreExists);
  const { user, groups } = serviceAccountIdentity(namespace, name);
  const path = await mintKubeconfig(
    clusterDir,
    user,
    groups,
    join(clusterDir, `operator-${namespace}.kubeconfig`),
  );
  // The authorizer learns new bindings through its informers: wait until the role applies.
  const probe = new KubeConfig();
  probe.loadFromFile(path);
  const asOperator = probe.makeApiClient(CoreV1Api);
  await eventually(() => asOperator.listNamespacedSecret({ namespace }).then(() => true), 10_000);
  return {
    kubeconfig: path,
    cleanup: async () => {
      await Promise.allSettled([
        rbac.deleteClusterRole({ name: roleName }),
        rbac.deleteClusterRoleBinding({ name: roleName }),
      ]);
    },
  };
}
