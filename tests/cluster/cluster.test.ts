// Proves that the test control plane behaves like a real cluster in the ways the operator relies
// on. The vitest global setup starts it (startCluster with controllerManager and nodes) and
// exports KUBECONFIG; every test works in a namespace of its own.
//
// @kubernetes/client-node's models are classes whose fields are all optional data, and its
// request methods accept plain object literals for them (that is how its own docs use it).
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  VersionApi,
  V1MicroTime,
  setHeaderOptions,
  type V1CustomResourceDefinition,
  type V1Lease,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintKubeconfig, pinnedKubernetesVersion, serviceAccountIdentity } from './harness.ts';

// INFERENCE_TEST_CLUSTER=off (a fast loop over other tests) starts no cluster: skip, don't fail.
const clusterOff = process.env.INFERENCE_TEST_CLUSTER === 'off';
const describeCluster = describe.skipIf(clusterOff);
const kubeconfigPath = process.env.KUBECONFIG ?? '';
const kc = new KubeConfig();
if (kubeconfigPath !== '') kc.loadFromFile(kubeconfigPath);
// Without one, a placeholder keeps the clients constructible; beforeAll then fails (or skips).
else
  kc.loadFromClusterAndUser({ name: 'none', server: '', skipTLSVerify: false }, { name: 'none' });
const core = kc.makeApiClient(CoreV1Api);
const namespaces: string[] = [];

beforeAll(() => {
  if (clusterOff) return;
  const server = kc.getCurrentCluster()?.server ?? '';
  // These tests create and delete objects freely: never aim them at a real cluster.
  if (!/^https:\/\/127\.0\.0\.1:\d+$/.test(server)) {
    throw new Error(
      `KUBECONFIG must point at the loopback test cluster that tests/cluster/harness.ts starts; got server "${server}"`,
    );
  }
});

afterAll(async () => {
  await Promise.allSettled(namespaces.map((name) => core.deleteNamespace({ name })));
});

/** Creates a namespace for one test; it is deleted after the file. */
async function newNamespace(): Promise<string> {
  const ns = await core.createNamespace({ body: { metadata: { generateName: 'test-' } } });
  const name = ns.metadata!.name!;
  namespaces.push(name);
  return name;
}

/** Settles a request to the HTTP status it failed with and the API server's message. */
async function failure(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = err.body;
    const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: keep the raw text
    }
    return { code: err.code, message };
  }
  throw new Error('the request succeeded, but it should have failed');
}

/** Polls fn until it returns a value other than undefined. */
async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`not reached within ${timeoutMs} ms`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function isGone(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return false;
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return true;
    throw err;
  }
}

describeCluster('the test control plane', () => {
  it('reports the Kubernetes version that tests/cluster/go.mod pins', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(await pinnedKubernetesVersion());
  });
});

describeCluster('a CRD with a structural schema and a CEL rule', () => {
  const group = `t${randomBytes(4).toString('hex')}.tests.inference-service.dev`;
  const plural = 'widgets';
  const objects = kc.makeApiClient(CustomObjectsApi);
  const widget = (name: string, spec: Record<string, unknown>): object => ({
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    metadata: { name },
    spec,
  });
  const crd: V1CustomResourceDefinition = {
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural, singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['replicas'],
                  properties: {
                    replicas: { type: 'integer', minimum: 0 },
                    model: {
                      type: 'string',
                      x_kubernetes_validations: [
                        { rule: 'self == oldSelf', message: 'model is immutable' },
                      ],
                    },
                  },
                  x_kubernetes_validations: [
                    {
                      rule: 'self.replicas <= 10',
                      message: 'replicas must be at most 10',
                      fieldPath: '.replicas',
                    },
                  ],
                },
                status: { type: 'object', properties: { ready: { type: 'boolean' } } },
              },
            },
          },
        },
      ],
    },
  };
  const extensions = kc.makeApiClient(ApiextensionsV1Api);

  beforeAll(async () => {
    await extensions.createCustomResourceDefinition({ body: crd });
  });

  afterAll(async () => {
    await extensions.deleteCustomResourceDefinition({ name: crd.metadata!.name! });
  });

  it('becomes Established', async () => {
    const established = await eventually(async () => {
      const got = await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! });
      const condition = got.status?.conditions?.find((c) => c.type === 'Established');
      return condition?.status === 'True' ? condition : undefined;
    }, 20_000);
    expect(established.status).toBe('True');
  });

  it('rejects an object that breaks the CEL rule with a 422 that names the field', async () => {
    const namespace = await newNamespace();
    const body = widget('too-many', { replicas: 11 });
    const { code, message } = await failure(
      objects.createNamespacedCustomObject({ group, version: 'v1', namespace, plural, body }),
    );
    expect(code).toBe(422);
    expect(message).toContain('spec.replicas');
    expect(message).toContain('replicas must be at most 10');
  });

  it('rejects a change that a transition rule (oldSelf) forbids', async () => {
    const namespace = await newNamespace();
    const body = widget('pinned', { replicas: 1, model: 'small' });
    await objects.createNamespacedCustomObject({ group, version: 'v1', namespace, plural, body });
    const { code, message } = await failure(
      objects.patchNamespacedCustomObject(
        {
          group,
          version: 'v1',
          namespace,
          plural,
          name: 'pinned',
          body: { spec: { model: 'large' } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(code).toBe(422);
    expect(message).toContain('spec.model');
    expect(message).toContain('model is immutable');
  });

  it('rejects an unknown field when fieldValidation is Strict', async () => {
    const namespace = await newNamespace();
    const body = widget('typo', { replicas: 1, replicaz: 2 });
    const { code, message } = await failure(
      objects.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace,
        plural,
        body,
        fieldValidation: 'Strict',
      }),
    );
    expect(code).toBe(400);
    expect(message).toContain('unknown field "spec.replicaz"');
  });

  it('keeps spec writes away from status, and bumps generation only on spec changes', async () => {
    const namespace = await newNamespace();
    const name = 'split';
    const created = (await objects.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural,
      body: { ...widget(name, { replicas: 1 }), status: { ready: true } },
    })) as { metadata: { generation: number }; status?: unknown };
    expect(created.status).toBeUndefined(); // status is ignored on the main resource
    const withStatus = (await objects.patchNamespacedCustomObjectStatus(
      { group, version: 'v1', namespace, plural, name, body: { status: { ready: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata: { generation: number }; status: { ready: boolean } };
    expect(withStatus.status.ready).toBe(true);
    expect(withStatus.metadata.generation).toBe(created.metadata.generation);
    const respecced = (await objects.patchNamespacedCustomObject(
      { group, version: 'v1', namespace, plural, name, body: { spec: { replicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata: { generation: number } };
    expect(respecced.metadata.generation).toBe(created.metadata.generation + 1);
  });

  it('garbage-collects the ConfigMap that a deleted custom resource owned', async () => {
    const namespace = await newNamespace();
    const owner = (await objects.createNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural,
      body: widget('owner', { replicas: 1 }),
    })) as { metadata: { uid: string } };
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'child',
          ownerReferences: [
            { apiVersion: `${group}/v1`, kind: 'Widget', name: 'owner', uid: owner.metadata.uid },
          ],
        },
      },
    });
    await objects.deleteNamespacedCustomObject({
      group,
      version: 'v1',
      namespace,
      plural,
      name: 'owner',
    });
    // The garbage collector learns about a new CRD from discovery, every 30 s.
    await eventually(
      async () =>
        (await isGone(core.readNamespacedConfigMap({ namespace, name: 'child' }))) || undefined,
      90_000,
    );
  }, 100_000);
});

describeCluster('server-side apply', () => {
  it('gives a 409 when a second field manager applies a field the first one owns', async () => {
    const namespace = await newNamespace();
    const apply = (manager: string, value: string, force = false): Promise<unknown> =>
      core.patchNamespacedConfigMap(
        {
          namespace,
          name: 'shared',
          fieldManager: manager,
          force,
          body: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'shared', namespace },
            data: { model: value },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    await apply('operator', 'small');
    const { code, message } = await failure(apply('someone-else', 'large'));
    expect(code).toBe(409);
    expect(message).toContain('conflict with "operator"');
    expect(message).toContain('.data.model');
    await apply('someone-else', 'large', true); // force takes the field over
    const cm = await core.readNamespacedConfigMap({ namespace, name: 'shared' });
    expect(cm.data?.model).toBe('large');
  });
});

describeCluster('workloads on the simulated node', () => {
  it('makes a Deployment Available with Ready pods on the kwok node', async () => {
    const namespace = await newNamespace();
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: 'green' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'green' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'main', image: 'inference-service/fake:1' }] },
          },
        },
      },
    });
    const available = await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ namespace, name: 'green' });
      const condition = d.status?.conditions?.find((c) => c.type === 'Available');
      return condition?.status === 'True' && d.status?.readyReplicas === 2 ? d : undefined;
    }, 60_000);
    expect(available.status?.availableReplicas).toBe(2);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=green' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toBe('kwok-node-0');
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  }, 70_000);
});

describeCluster('the simulated node', () => {
  it('renews its Lease as a kubelet does, so the controller manager keeps it Ready', async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    const read = async (): Promise<number> => {
      const lease = await leases.readNamespacedLease({
        namespace: 'kube-node-lease',
        name: 'kwok-node-0',
      });
      // Typed as V1MicroTime, but client-node hands MicroTime fields over as strings.
      const renewTime: unknown = lease.spec?.renewTime;
      return typeof renewTime === 'string' ? Date.parse(renewTime) : 0;
    };
    const first = await read();
    // A kubelet renews every quarter of the lease duration (40 s here).
    const later = await eventually(async () => {
      const t = await read();
      return t > first ? t : undefined;
    }, 25_000);
    expect(later).toBeGreaterThan(first);
  }, 30_000);
});

describeCluster('garbage collection', () => {
  it('removes a ConfigMap when its owner is deleted', async () => {
    const namespace = await newNamespace();
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'owned',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid! },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ namespace, name: 'owner' });
    await eventually(
      async () =>
        (await isGone(core.readNamespacedConfigMap({ namespace, name: 'owned' }))) || undefined,
      30_000,
    );
  }, 40_000);
});

describeCluster('a coordination.k8s.io Lease', () => {
  it('is held by exactly one of two clients that race to create and then to acquire it', async () => {
    const namespace = await newNamespace();
    // Two independent clients, as two operator replicas would have.
    const clients = ['replica-a', 'replica-b'].map((holder) => {
      const config = new KubeConfig();
      config.loadFromFile(kubeconfigPath);
      return { holder, leases: config.makeApiClient(CoordinationV1Api) };
    });
    const lease = (holder: string, resourceVersion?: string): V1Lease => ({
      metadata: resourceVersion
        ? { name: 'leader', namespace, resourceVersion }
        : { name: 'leader', namespace },
      // A real acquisition writes its times, so no two writes are the same no-op update
      // (a no-op keeps the resourceVersion, and then both writers would "win").
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: 15,
        acquireTime: new V1MicroTime(),
        renewTime: new V1MicroTime(),
      },
    });

    const created = await Promise.allSettled(
      clients.map((c) => c.leases.createNamespacedLease({ namespace, body: lease(c.holder) })),
    );
    expect(created.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = created.find((r) => r.status === 'rejected');
    expect((lost?.reason as ApiException<unknown>).code).toBe(409);

    // Both read the same resourceVersion and try to take over: optimistic concurrency lets
    // exactly one replace win; the other gets 409 Conflict.
    const seen = await clients[0]!.leases.readNamespacedLease({ namespace, name: 'leader' });
    const acquired = await Promise.allSettled(
      clients.map((c) =>
        c.leases.replaceNamespacedLease({
          namespace,
          name: 'leader',
          body: lease(c.holder, seen.metadata!.resourceVersion),
        }),
      ),
    );
    const winners = acquired.flatMap((r, i) =>
      r.status === 'fulfilled' ? [clients[i]!.holder] : [],
    );
    expect(winners).toHaveLength(1);
    const loser = acquired.find((r) => r.status === 'rejected');
    expect((loser?.reason as ApiException<unknown>).code).toBe(409);
    const final = await clients[1]!.leases.readNamespacedLease({ namespace, name: 'leader' });
    expect(final.spec?.holderIdentity).toBe(winners[0]);
  });
});

describeCluster('RBAC', () => {
  it('denies a ServiceAccount identity without a Role, and allows it after a RoleBinding', async () => {
    const namespace = await newNamespace();
    const { user, groups } = serviceAccountIdentity(namespace, 'operator');
    await core.createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: 'operator' } },
    });
    const saConfig = new KubeConfig();
    saConfig.loadFromFile(await mintKubeconfig(dirname(kubeconfigPath), user, groups));
    const asOperator = saConfig.makeApiClient(CoreV1Api);

    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'settings' } } });

    const denied = await failure(asOperator.listNamespacedConfigMap({ namespace }));
    expect(denied.code).toBe(403);
    expect(denied.message).toContain(user);

    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: 'read-configmaps' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: 'operator-reads-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-configmaps' },
        subjects: [{ kind: 'ServiceAccount', name: 'operator', namespace }],
      },
    });
    // The authorizer sees new bindings through its informers, within moments.
    const list = await eventually(() => asOperator.listNamespacedConfigMap({ namespace }), 10_000);
    expect(list.items.map((cm) => cm.metadata?.name)).toContain('settings');
    // The Role grants reading ConfigMaps and nothing else.
    expect((await failure(asOperator.listNamespacedSecret({ namespace }))).code).toBe(403);
  });
});
