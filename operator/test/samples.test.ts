// The operator against the real control plane, as its own ServiceAccount under the generated
// RBAC: the samples become Ready with their children; a no-op resync writes nothing; a spec
// change reaches the children; a child edited or deleted by hand comes back; a missing Secret
// is reported and heals without a restart.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinds } from '../../crds/index.ts';
import { readSample } from '../../crds/sample-files.ts';
import type { OperatorHandle } from '../src/operator.ts';
import { counterTotal } from '../src/runtime/metrics.ts';
import { grantedPermissions, usedPermissions } from '../src/runtime/rbac.ts';
import {
  apps,
  condition,
  core,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  deleteResource,
  eventually,
  getResource,
  installCrds,
  isGone,
  networking,
  newNamespace,
  operatorIdentity,
  patchSpec,
  startTestOperator,
  waitForCondition,
  type Custom,
  type Kind,
} from './support.ts';

let namespace: string;
let other: string;
let operator: OperatorHandle;
const created = new Map<Kind, Custom>();

beforeAll(async () => {
  await installCrds();
  namespace = await newNamespace('samples');
  other = await newNamespace('refs');
  const kubeconfig = await operatorIdentity(namespace);
  operator = await startTestOperator([namespace, other], kubeconfig);
  // The Secrets the samples reference.
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'openai-credentials' }, stringData: { 'api-key': 'sk-test-openai' } },
  });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'tickets-mcp-token' }, stringData: { token: 'mcp-token' } },
  });
  for (const kind of kinds) {
    const sample = readSample(kind);
    created.set(kind.kind as Kind, await createResource(namespace, sample));
  }
}, 120_000);

afterAll(async () => {
  await operator.stop();
  await deleteNamespaces();
  await deleteClusterRoles();
});

const writes = async (): Promise<number> => {
  const { values } = await operator.metrics.apiWrites.get();
  // Lease renewals are the leader's heartbeat, not reconcile work.
  return values.filter((v) => v.labels.resource !== 'leases').reduce((sum, v) => sum + v.value, 0);
};

/** resourceVersion of every object the operator rendered or reports on in namespace. */
async function resourceVersions(ns: string): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  const add = (
    kind: string,
    items: { metadata?: { name?: string; resourceVersion?: string } }[],
  ): void => {
    for (const item of items)
      versions.set(`${kind}/${item.metadata?.name ?? ''}`, item.metadata?.resourceVersion ?? '');
  };
  const selector = {
    namespace: ns,
    labelSelector: 'app.kubernetes.io/managed-by=inference-operator',
  };
  add('ConfigMap', (await core.listNamespacedConfigMap(selector)).items);
  add('Secret', (await core.listNamespacedSecret(selector)).items);
  add('Service', (await core.listNamespacedService(selector)).items);
  add('Deployment', (await apps.listNamespacedDeployment(selector)).items);
  add('NetworkPolicy', (await networking.listNamespacedNetworkPolicy(selector)).items);
  for (const kind of created.keys()) {
    const object = await getResource(ns, kind, created.get(kind)!.metadata.name);
    versions.set(`${kind}/${object.metadata.name}`, object.metadata.resourceVersion ?? '');
  }
  return versions;
}

describe('the samples', () => {
  it('each become Ready, observing their generation (the MCPGateway says MCP is off)', async () => {
    for (const [kind, object] of created) {
      // The operator runs with mcp.enabled off (its default): nothing serves the MCPGateway.
      const off = kind === 'MCPGateway';
      const ready = await waitForCondition(
        namespace,
        kind,
        object.metadata.name,
        'Ready',
        off ? 'False' : 'True',
        off ? 'McpDisabled' : undefined,
        60_000,
      );
      expect(condition(ready, 'Ready')?.observedGeneration).toBe(ready.metadata.generation);
      expect(ready.status?.observedGeneration).toBe(ready.metadata.generation);
    }
  }, 90_000);

  it('give the InferenceModel a model-server Deployment, ConfigMap and Services that it owns', async () => {
    const model = created.get('InferenceModel')!;
    const name = 'model-phi-3-mini-blue';
    const deployment = await apps.readNamespacedDeployment({ namespace, name });
    const configMap = await core.readNamespacedConfigMap({ namespace, name });
    const colourService = await core.readNamespacedService({ namespace, name });
    const service = await core.readNamespacedService({ namespace, name: 'model-phi-3-mini' });
    expect(service.spec?.selector).toMatchObject({ 'inference.enis.io/color': 'blue' });
    expect(JSON.parse(configMap.data?.['spec.json'] ?? '{}')).toMatchObject({
      version: 'phi-3-mini-4k-2024-07',
    });
    for (const child of [deployment, configMap, colourService, service]) {
      expect(child.metadata?.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'InferenceModel',
          name: model.metadata.name,
          uid: model.metadata.uid,
          controller: true,
        }),
      ]);
      expect(child.metadata?.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'inference-operator',
        'inference.enis.io/owner': 'inferencemodel.phi-3-mini',
      });
    }
    expect(deployment.spec?.replicas).toBe(2);
    // --expose-gc: the model server collects after unloading a version (docs/models.md).
    expect(deployment.spec?.template.spec?.containers[0]?.command).toEqual([
      'node',
      '--expose-gc',
      'dataplane/src/model-server.ts',
    ]);
    const ready = await getResource(namespace, 'InferenceModel', model.metadata.name);
    expect(ready.status).toMatchObject({
      activeVersion: 'phi-3-mini-4k-2024-07',
      activeColor: 'blue',
      readyReplicas: 2,
      endpoint: `http://model-phi-3-mini.${namespace}.svc:8080/v1`,
    });
    expect(condition(ready, 'MemoryHeadroomOK')).toMatchObject({
      status: 'True',
      reason: 'SufficientHeadroom',
    });
  });

  it('render the config contract, with the checksum the status reports', async () => {
    const config = await core.readNamespacedConfigMap({ namespace, name: 'inference-config' });
    const prompts = await core.readNamespacedConfigMap({ namespace, name: 'inference-prompts' });
    const keys = await core.readNamespacedSecret({ namespace, name: 'inference-keys' });
    const credentials = await core.readNamespacedSecret({
      namespace,
      name: 'inference-credentials',
    });
    for (const child of [config, prompts, keys, credentials]) {
      expect(child.metadata?.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'inference-operator',
        'inference.enis.io/owner': 'gateway',
      });
    }
    expect(Object.keys(prompts.data ?? {})).toEqual(['support-triage.yaml']);
    expect(
      Buffer.from(credentials.data?.['openai-credentials__api-key'] ?? '', 'base64').toString(),
    ).toBe('sk-test-openai');
    // That the dataplane loads these, with this checksum, is tests/contract/samples.test.ts.
    const route = await getResource(namespace, 'ProviderRoute', 'chat');
    expect(route.status?.['renderedConfigChecksum']).toBe(
      config.metadata?.annotations?.['inference.enis.io/config-checksum'],
    );
    expect(route.status?.['targets']).toBe('mock/echo → openai/gpt-4o-mini');
  });

  it('run a gateway that mounts the contract and restarts for nothing but its own spec', async () => {
    const gateway = await apps.readNamespacedDeployment({ namespace, name: 'inference-gateway' });
    const pod = gateway.spec?.template;
    expect(pod?.metadata?.annotations ?? {}).toEqual({});
    const container = pod?.spec?.containers[0];
    expect(container?.env).toEqual(
      expect.arrayContaining([{ name: 'CONFIG_DIR', value: '/etc/inference' }]),
    );
    expect(container?.volumeMounts?.map((m) => m.mountPath)).toEqual([
      '/etc/inference',
      '/etc/inference/prompts',
      '/etc/inference/keys',
      '/etc/inference/credentials',
      '/etc/inference/upstream-tls',
      '/tmp',
    ]);
    expect(container?.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container?.livenessProbe?.httpGet?.path).toBe('/livez');
    const service = await core.readNamespacedService({ namespace, name: 'inference-gateway' });
    expect(service.spec?.selector).toEqual(gateway.spec?.selector.matchLabels);
  });

  it('let the gateway reach DNS, Redis, model servers and exactly the provider hosts its routes use', async () => {
    const policy = await networking.readNamespacedNetworkPolicy({
      namespace,
      name: 'inference-gateway-egress',
    });
    expect(policy.metadata?.annotations?.['inference.enis.io/egress-hosts']).toBe(
      'api.openai.com:443',
    );
    expect(policy.spec?.policyTypes).toEqual(['Egress']);
    const ports = (policy.spec?.egress ?? []).map((rule) =>
      (rule.ports ?? []).map((p) => `${p.protocol ?? ''}/${String(p.port)}`),
    );
    expect(ports).toEqual([
      ['UDP/53', 'TCP/53'],
      ['TCP/6379'],
      ['TCP/8080', 'TCP/8000'],
      ['TCP/443'],
    ]);
  });
});

describe('a no-op resync', () => {
  it('changes no resourceVersion and sends no write', async () => {
    await operator.idle();
    const before = await resourceVersions(namespace);
    const writesBefore = await writes();
    const reconcilesBefore = await counterTotal(operator.metrics.reconciles);
    operator.resync();
    await operator.idle();
    expect(await counterTotal(operator.metrics.reconciles)).toBeGreaterThan(reconcilesBefore + 5);
    expect(await writes()).toBe(writesBefore);
    expect(await resourceVersions(namespace)).toEqual(before);
  });
});

describe('a spec change', () => {
  it('reaches the children and observedGeneration', async () => {
    const patched = await patchSpec(namespace, 'InferenceModel', 'phi-3-mini', {
      replicas: 3,
      version: 'phi-3-mini-4k-2024-09',
    });
    expect(patched.metadata.generation).toBe(2);
    // 4 GiB cannot hold two versions of 2.5 GiB: Auto starts the new one on green.
    const deployment = await eventually(async () => {
      const d = await apps
        .readNamespacedDeployment({ namespace, name: 'model-phi-3-mini-green' })
        .catch(() => undefined);
      return d?.spec?.replicas === 3 ? d : undefined;
    });
    expect(deployment.spec?.template.metadata?.labels?.['inference.enis.io/model-version']).toBe(
      'phi-3-mini-4k-2024-09',
    );
    // Ready stays True through a blue/green rollout (blue serves): wait for the switch.
    const model = await eventually(async () => {
      const m = await getResource(namespace, 'InferenceModel', 'phi-3-mini');
      return m.status?.observedGeneration === 2 &&
        m.status['activeVersion'] === 'phi-3-mini-4k-2024-09' &&
        condition(m, 'Ready')?.status === 'True'
        ? m
        : undefined;
    }, 60_000);
    expect(model.status?.conditions?.every((c) => c.observedGeneration === 2)).toBe(true);
    expect(model.status).toMatchObject({
      activeVersion: 'phi-3-mini-4k-2024-09',
      previousVersion: 'phi-3-mini-4k-2024-07',
      activeColor: 'green',
    });
    const service = await core.readNamespacedService({ namespace, name: 'model-phi-3-mini' });
    expect(service.spec?.selector).toMatchObject({ 'inference.enis.io/color': 'green' });
    // Blue keeps its pods (scaled with spec while it served) for the rollback window.
    const blue = await apps.readNamespacedDeployment({ namespace, name: 'model-phi-3-mini-blue' });
    expect(blue.spec?.replicas).toBe(3);

    await patchSpec(namespace, 'ProviderRoute', 'chat', { alias: 'chat-v2' });
    await eventually(async () => {
      const config = await core.readNamespacedConfigMap({ namespace, name: 'inference-config' });
      return config.data?.['routes.yaml']?.includes('alias: chat-v2') === true ? true : undefined;
    });
    const route = await waitForCondition(namespace, 'ProviderRoute', 'chat', 'Ready', 'True');
    expect(route.status?.observedGeneration).toBe(2);
  }, 90_000);
});

describe('a child changed by hand', () => {
  it('is restored when edited', async () => {
    await apps.patchNamespacedDeployment(
      { namespace, name: 'model-phi-3-mini-green', body: { spec: { replicas: 7 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedConfigMap(
      { namespace, name: 'inference-config', body: { data: { 'routes.yaml': 'routes: []\n' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ namespace, name: 'model-phi-3-mini-green' });
      return d.spec?.replicas === 3 ? true : undefined;
    }, 60_000);
    await eventually(async () => {
      const config = await core.readNamespacedConfigMap({ namespace, name: 'inference-config' });
      return config.data?.['routes.yaml']?.includes('alias: chat-v2') === true ? true : undefined;
    });
  }, 90_000);

  it('is recreated when deleted', async () => {
    const service = await core.readNamespacedService({ namespace, name: 'model-phi-3-mini' });
    const policy = await networking.readNamespacedNetworkPolicy({
      namespace,
      name: 'inference-gateway-egress',
    });
    await core.deleteNamespacedService({ namespace, name: 'model-phi-3-mini' });
    await networking.deleteNamespacedNetworkPolicy({ namespace, name: 'inference-gateway-egress' });
    const recreated = await eventually(async () => {
      const s = await core.readNamespacedService({ namespace, name: 'model-phi-3-mini' });
      return s.metadata?.uid !== service.metadata?.uid ? s : undefined;
    });
    expect(recreated.metadata?.ownerReferences?.[0]?.kind).toBe('InferenceModel');
    await eventually(async () => {
      const p = await networking.readNamespacedNetworkPolicy({
        namespace,
        name: 'inference-gateway-egress',
      });
      return p.metadata?.uid !== policy.metadata?.uid ? true : undefined;
    });
  });
});

describe('a ProviderRoute whose Secret is missing', () => {
  it('is ResolvedRefs=False naming the Secret and key, and turns True once the Secret appears', async () => {
    await createResource(other, {
      kind: 'ProviderRoute',
      metadata: { name: 'groq' },
      spec: {
        alias: 'fast',
        targets: [
          {
            name: 'groq',
            provider: 'groq',
            model: 'llama-3.1-8b-instant',
            credentials: { secretKeyRef: { name: 'groq-key', key: 'token' } },
          },
        ],
      },
    });
    const missing = await waitForCondition(
      other,
      'ProviderRoute',
      'groq',
      'ResolvedRefs',
      'False',
      'SecretNotFound',
    );
    expect(condition(missing, 'ResolvedRefs')?.message).toContain('Secret groq-key (key token)');
    expect(condition(missing, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });

    await core.createNamespacedSecret({
      namespace: other,
      body: { metadata: { name: 'groq-key' }, stringData: { other: 'x' } },
    });
    const wrongKey = await waitForCondition(
      other,
      'ProviderRoute',
      'groq',
      'ResolvedRefs',
      'False',
      'SecretKeyNotFound',
    );
    expect(condition(wrongKey, 'ResolvedRefs')?.message).toContain('key token of Secret groq-key');

    await core.patchNamespacedSecret(
      { namespace: other, name: 'groq-key', body: { stringData: { token: 'gsk-test' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const resolved = await waitForCondition(other, 'ProviderRoute', 'groq', 'ResolvedRefs', 'True');
    expect(condition(resolved, 'ResolvedRefs')?.reason).toBe('ResolvedRefs');
    await waitForCondition(other, 'ProviderRoute', 'groq', 'Ready', 'True');
    // The route's status and the namespace's rendered contract come from two controllers:
    // the credential lands in the contract on the gateway's own reconcile, soon after.
    const token = await eventually(async () => {
      const credentials = await core.readNamespacedSecret({
        namespace: other,
        name: 'inference-credentials',
      });
      const value = credentials.data?.['groq-key__token'];
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
    });
    expect(token).toBe('gsk-test');
  });
});

describe('deleting every resource of a namespace', () => {
  it('prunes the gateway and the config contract', async () => {
    await deleteResource(other, 'ProviderRoute', 'groq');
    await eventually(async () =>
      (await isGone(apps.readNamespacedDeployment({ namespace: other, name: 'inference-gateway' })))
        ? true
        : undefined,
    );
    const left = await core.listNamespacedConfigMap({
      namespace: other,
      labelSelector: 'app.kubernetes.io/managed-by=inference-operator',
    });
    expect(left.items).toEqual([]);
  });
});

describe('the RBAC table', () => {
  it('grants nothing the operator did not use', () => {
    const unused = grantedPermissions().filter((p) => !usedPermissions().has(p));
    // Everything in the table was needed by this file's scenarios, deletion (pruning) included.
    expect(unused).toEqual([]);
  });
});
