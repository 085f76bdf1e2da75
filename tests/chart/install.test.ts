// The chart installed into the test cluster for real: the server accepts every rendered object,
// `helm install` creates them and binds the RBAC, the operator started in-process from the
// settings the release holds (as its ServiceAccount, as kubelet would start the container) turns
// every sample Ready at its generation, the applied samples do not drift, an upgrade lands its
// values and an uninstall leaves nothing labelled with the release.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { LuaFactory } from 'wasmoon';
import { mintKubeconfig, serviceAccountIdentity } from '../cluster/harness.ts';
import { GROUP, VERSION } from '../../crds/common.ts';
import { FIELD_MANAGER, startOperator, type OperatorHandle } from '../../operator/src/operator.ts';
import { createLogger } from '../../operator/src/runtime/log.ts';
import { loadSettings } from '../../operator/src/settings.ts';
import { simulatedModelPods } from '../support/simulated-model-pods.ts';
import {
  apps,
  core,
  eventually,
  objects,
  PLURALS,
  testJwks,
  type Custom,
  type Kind,
} from '../../operator/test/support.ts';
import { CHART, helm, helmBinary, kubectl, KUBE_VERSION, NO_HELM, ok } from './helm.ts';

const argocdCm = parse(
  readFileSync(
    new URL('../../deploy/gitops/argocd/argocd-cm-health.yaml', import.meta.url),
    'utf8',
  ),
) as { data: Record<string, string> };
const argocdHealth = (kind: Kind): string =>
  argocdCm.data[`resource.customizations.health.inference.enis.io_${kind}`] ?? 'error("none")';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';
const SAMPLES = fileURLToPath(new URL('../../crds/samples/', import.meta.url));
const admin = inject('kubeconfig');
const clusterDir = inject('clusterDir');

const release = `chart-${randomBytes(3).toString('hex')}`;
const namespace = release; // the release's own namespace
const samples = `${release}-samples`; // the namespace the operator watches
const fullname = `${release}-inference-service`;
const releaseSelector = `app.kubernetes.io/instance=${release}`;
let workDir: string;
let valuesFile: string;
let operator: OperatorHandle | undefined;

const helmIn = (args: string[]): ReturnType<typeof helm> =>
  helm([...args, '--namespace', namespace], admin);

/**
 * The operator container's environment as kubelet would give it, read from what the API server
 * holds: envFrom ConfigMaps, then env (values, the pod's namespace, Secret keys); the files of
 * its ConfigMap and Secret volumes written under workDir and the paths that point into them
 * rewritten. The ports move to free ones, the process is silent, and it authenticates as the
 * Deployment's ServiceAccount.
 */
async function containerEnv(kubeconfig: string): Promise<Record<string, string>> {
  const deployment = await apps.readNamespacedDeployment({
    namespace,
    name: `${fullname}-operator`,
  });
  const pod = deployment.spec!.template.spec!;
  const container = pod.containers[0]!;
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const map = await core.readNamespacedConfigMap({ namespace, name: from.configMapRef!.name! });
    Object.assign(env, map.data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = namespace;
    else if (e.valueFrom?.secretKeyRef !== undefined) {
      const ref = e.valueFrom.secretKeyRef;
      const secret = await core.readNamespacedSecret({ namespace, name: ref.name! });
      env[e.name] = Buffer.from(secret.data![ref.key]!, 'base64').toString('utf8');
    } else throw new Error(`env ${e.name}: a source this test does not resolve`);
  }
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes!.find((v) => v.name === mount.name)!;
    const files: Record<string, string> = {};
    if (volume.configMap !== undefined) {
      const map = await core.readNamespacedConfigMap({ namespace, name: volume.configMap.name! });
      for (const item of volume.configMap.items ?? []) files[item.path] = map.data![item.key]!;
    } else if (volume.secret !== undefined) {
      const secret = await core.readNamespacedSecret({
        namespace,
        name: volume.secret.secretName!,
      });
      for (const item of volume.secret.items ?? [])
        files[item.path] = Buffer.from(secret.data![item.key]!, 'base64').toString('utf8');
    } else continue; // the /tmp emptyDir
    const root = join(workDir, 'mounts', mount.mountPath);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    for (const [key, value] of Object.entries(env)) {
      if (value.startsWith(`${mount.mountPath}/`))
        env[key] = root + value.slice(mount.mountPath.length);
    }
  }
  return {
    ...env,
    KUBECONFIG: kubeconfig,
    INFERENCE_HEALTH_PORT: '0',
    INFERENCE_METRICS_PORT: '0',
    INFERENCE_BIND_ADDRESS: '127.0.0.1',
    INFERENCE_LOG_LEVEL: process.env['OPERATOR_TEST_LOG'] ?? 'silent',
  };
}

/** Starts the operator in this process from the release's settings, as its ServiceAccount. */
async function startChartOperator(): Promise<OperatorHandle> {
  const { user, groups } = serviceAccountIdentity(namespace, `${fullname}-operator`);
  const kubeconfig = await mintKubeconfig(clusterDir, user, groups);
  const settings = loadSettings(await containerEnv(kubeconfig), []);
  return startOperator({
    settings,
    logger: createLogger(settings.logLevel),
    modelProbeFetch: simulatedModelPods(core),
  });
}

const sampleObjects = async (): Promise<{ kind: Kind; name: string }[]> =>
  parseAllDocuments(
    (await kubectl(['apply', '--dry-run=client', '-o', 'yaml', '-f', SAMPLES], admin)).stdout,
  )
    .map((d) => d.toJS() as { items?: Custom[] } & Custom)
    .flatMap((d) => d.items ?? [d])
    .map((o) => ({ kind: o.kind as Kind, name: o.metadata.name }));

const getSample = async (
  kind: Kind,
  name: string,
): Promise<
  Custom & {
    metadata: { managedFields?: { manager: string; fieldsV1?: Record<string, unknown> }[] };
  }
> =>
  (await objects.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: samples,
    plural: PLURALS[kind],
    name,
  })) as never;

/** Ready at its generation; an MCPGateway says McpDisabled (the chart's mcp.enabled is off). */
const readyAtGeneration = (object: Custom): boolean => {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  const expected =
    object.kind === 'MCPGateway'
      ? ready?.status === 'False' && ready.reason === 'McpDisabled'
      : ready?.status === 'True';
  return expected && ready?.observedGeneration === object.metadata.generation;
};

describe.skipIf(clusterOff || helmBinary === undefined)(
  helmBinary === undefined
    ? `the chart in the test cluster (${NO_HELM})`
    : 'the chart in the test cluster',
  () => {
    beforeAll(async () => {
      workDir = await mkdtemp(join(tmpdir(), 'chart-'));
      valuesFile = join(workDir, 'values.yaml');
      await writeFile(
        valuesFile,
        stringify({
          operator: {
            watchNamespaces: [samples],
            auth: { jwks: testJwks() },
            gateway: { replicas: 1 },
          },
        }),
      );
      await core.createNamespace({ body: { metadata: { name: namespace } } });
      await core.createNamespace({ body: { metadata: { name: samples } } });
    });

    afterAll(async () => {
      await operator?.stop();
      await helmIn(['uninstall', release, '--wait']).catch(() => undefined);
      await Promise.allSettled([
        core.deleteNamespace({ name: namespace }),
        core.deleteNamespace({ name: samples }),
      ]);
      await rm(workDir, { recursive: true, force: true });
    });

    it('renders objects the API server accepts (a server-side dry run), CRDs as templates too', async () => {
      const rendered = ok(
        await helmIn([
          'template',
          release,
          CHART,
          '--kube-version',
          KUBE_VERSION,
          '--values',
          valuesFile,
          '--set',
          'crds.manage=true',
        ]),
        'helm template',
      );
      const dryRun = ok(
        await kubectl(
          [
            'apply',
            '--dry-run=server',
            '--server-side',
            '--force-conflicts',
            '--field-manager',
            'chart-test',
            '-n',
            namespace,
            '-f',
            '-',
          ],
          admin,
          rendered.stdout,
        ),
        'kubectl apply --dry-run=server',
      );
      const lines = dryRun.stdout.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('customresourcedefinition.'))).toHaveLength(5);
      expect(lines).toContain(
        `deployment.apps/${fullname}-operator serverside-applied (server dry run)`,
      );
      expect(lines).toContain(
        `networkpolicy.networking.k8s.io/${fullname}-operator serverside-applied (server dry run)`,
      );
    });

    it('refuses to install without a JWKS source, and creates nothing', async () => {
      const refused = await helmIn(['install', release, CHART]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("at '/operator/auth': 'anyOf' failed");
      expect((await helmIn(['list', '--all', '-q'])).stdout.trim()).toBe('');
    });

    it('installs: every rendered object exists, the ServiceAccount holds its RBAC, the CRDs are established', async () => {
      ok(
        await helmIn([
          'install',
          release,
          CHART,
          '--values',
          valuesFile,
          '--wait',
          '--timeout',
          '60s',
        ]),
        'helm install',
      );
      const manifest = ok(await helmIn(['get', 'manifest', release]), 'helm get manifest').stdout;
      const present = ok(
        await kubectl(['get', '-n', namespace, '-f', '-', '-o', 'name'], admin, manifest),
        'kubectl get',
      ).stdout;
      expect(present.trim().split('\n').sort()).toEqual(
        [
          `clusterrole.rbac.authorization.k8s.io/${fullname}-operator`,
          `clusterrolebinding.rbac.authorization.k8s.io/${fullname}-operator`,
          ...['gateway-overview', 'operator', 'providers', 'streams', 'tenants-spend'].map(
            (d) => `configmap/${fullname}-dashboard-${d}`,
          ),
          `configmap/${fullname}-operator-settings`,
          `configmap/${fullname}-pricing`,
          `deployment.apps/${fullname}-operator`,
          `networkpolicy.networking.k8s.io/${fullname}-operator`,
          `poddisruptionbudget.policy/${fullname}-operator`,
          `role.rbac.authorization.k8s.io/${fullname}-operator-leader-election`,
          `rolebinding.rbac.authorization.k8s.io/${fullname}-operator-leader-election`,
          `service/${fullname}-operator-metrics`,
          `serviceaccount/${fullname}-operator`,
        ].sort(),
      );
      // --wait saw the Deployment available: kwok's node reports the pod Running and Ready
      // (no container runs there; the operator itself runs in-process below).
      const deployment = await apps.readNamespacedDeployment({
        namespace,
        name: `${fullname}-operator`,
      });
      expect(deployment.status?.availableReplicas).toBe(1);
      const established = ok(
        await kubectl(
          [
            'wait',
            '--for=condition=Established',
            '--timeout=20s',
            ...Object.values(PLURALS).map((p) => `crd/${p}.${GROUP}`),
          ],
          admin,
        ),
        'kubectl wait',
      ).stdout;
      expect(established.trim().split('\n')).toHaveLength(5);
      const as = `system:serviceaccount:${namespace}:${fullname}-operator`;
      const can = async (...args: string[]): Promise<string> =>
        (await kubectl(['auth', 'can-i', '--as', as, ...args], admin)).stdout.trim();
      expect(
        await can(
          'patch',
          'inferencemodels.inference.enis.io',
          '--subresource=status',
          '-n',
          samples,
        ),
      ).toBe('yes');
      expect(await can('create', 'deployments.apps', '-n', samples)).toBe('yes');
      expect(await can('update', 'leases.coordination.k8s.io', '-n', namespace)).toBe('yes');
      expect(await can('patch', 'inferencemodels.inference.enis.io', '-n', samples)).toBe('no');
    });

    it('runs the operator from the release settings as its ServiceAccount: every sample Ready at its generation, Healthy to Argo CD', async () => {
      operator = await startChartOperator();
      // The Secrets the samples reference.
      const secrets = {
        'openai-credentials': { 'api-key': 'sk-chart' },
        'tickets-mcp-token': { token: 'tickets' },
      };
      for (const [name, stringData] of Object.entries(secrets)) {
        await core.createNamespacedSecret({
          namespace: samples,
          body: { metadata: { name }, stringData },
        });
      }
      ok(
        await kubectl(['apply', '--server-side', '-n', samples, '-f', SAMPLES], admin),
        'kubectl apply',
      );
      const all = await sampleObjects();
      expect(all.map((o) => o.kind).sort()).toEqual(Object.keys(PLURALS).sort());
      for (const { kind, name } of all) {
        await eventually(async () => readyAtGeneration(await getSample(kind, name)), 40_000);
      }
      expect(operator.isLeader()).toBe(true);
      // Argo CD's health check (deploy/gitops) calls each live object Healthy.
      const lua = await new LuaFactory().createEngine();
      try {
        for (const { kind, name } of all) {
          lua.global.set('obj', await getSample(kind, name));
          const health = (await lua.doString(argocdHealth(kind))) as { status: string };
          expect(health.status, `${kind}/${name}`).toBe(
            kind === 'MCPGateway' ? 'Suspended' : 'Healthy',
          );
        }
      } finally {
        lua.global.close();
      }
      const lease = await kubectl(
        [
          'get',
          'lease',
          '-n',
          namespace,
          `${fullname}-operator`,
          '-o',
          'jsonpath={.spec.holderIdentity}',
        ],
        admin,
      );
      expect(lease.stdout).not.toBe('');
    });

    it('shows no drift: kubectl diff --server-side is empty and the operator owns no field under spec', async () => {
      await operator!.idle();
      const diff = await kubectl(['diff', '--server-side', '-n', samples, '-f', SAMPLES], admin);
      expect(diff.stdout).toBe('');
      expect(diff.code).toBe(0);
      for (const { kind, name } of await sampleObjects()) {
        const fields = (await getSample(kind, name)).metadata.managedFields ?? [];
        const mine = fields.filter((f) => f.manager === FIELD_MANAGER);
        expect(mine.length, `${kind}/${name} has the operator's status entry`).toBeGreaterThan(0);
        expect(
          mine.filter((f) => 'f:spec' in (f.fieldsV1 ?? {})),
          `${kind}/${name}`,
        ).toEqual([]);
      }
    });

    it('upgrades to changed values: the settings, the Deployment and the gateway the operator renders carry them', async () => {
      const before = await apps.readNamespacedDeployment({
        namespace,
        name: `${fullname}-operator`,
      });
      ok(
        await helmIn([
          'upgrade',
          release,
          CHART,
          '--values',
          valuesFile,
          '--set',
          'operator.gateway.replicas=3,replicaCount=2',
        ]),
        'helm upgrade',
      );
      const settings = await core.readNamespacedConfigMap({
        namespace,
        name: `${fullname}-operator-settings`,
      });
      expect(settings.data?.['INFERENCE_GATEWAY_REPLICAS']).toBe('3');
      const after = await apps.readNamespacedDeployment({
        namespace,
        name: `${fullname}-operator`,
      });
      expect(after.spec?.replicas).toBe(2);
      const checksum = (d: V1Deployment): string | undefined =>
        d.spec?.template.metadata?.annotations?.['checksum/settings'];
      expect(checksum(after)).not.toBe(checksum(before));
      // The pods roll because the settings changed; the operator restarts on the new ones.
      await operator!.stop();
      operator = await startChartOperator();
      await eventually(async () => {
        const gateway = await apps.readNamespacedDeployment({
          namespace: samples,
          name: 'inference-gateway',
        });
        return gateway.spec?.replicas === 3;
      }, 20_000);
    });

    it('uninstalls leaving nothing labelled with the release', async () => {
      await operator?.stop();
      operator = undefined;
      ok(await helmIn(['uninstall', release, '--wait']), 'helm uninstall');
      const left = await kubectl(
        [
          'get',
          'all,configmaps,secrets,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,networkpolicies,poddisruptionbudgets,leases,customresourcedefinitions',
          '-A',
          '-l',
          releaseSelector,
          '-o',
          'name',
        ],
        admin,
      );
      expect(left.stdout.trim()).toBe('');
      expect(left.code).toBe(0);
      // The CRDs of crds/ stay: Helm never deletes them (and they carry no release label).
      expect(
        (await kubectl(['get', `crd/inferencemodels.${GROUP}`, '-o', 'name'], admin)).code,
      ).toBe(0);
    });
  },
);
