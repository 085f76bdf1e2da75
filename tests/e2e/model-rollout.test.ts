/**
 * Model rollouts with real model servers: the operator renders the colour Deployments, the
 * test cluster's controllers make pods of them, and the kubelet stand-in (kubelet.ts) runs
 * each pod as a `node dataplane/src/model-server.ts` process with the pod's environment and
 * ConfigMap. The official `openai` client sends chat requests, whole and streamed, through
 * the model's Service (kube-proxy of the stand-in: a ready endpoint per request) while the
 * version changes: blue/green and back by spec, and in place; not one request may fail, nor
 * one stream break. A version whose warm-up fails leaves the old one serving, and says why.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModel } from '../../dataplane/src/model-server/model-source.ts';
import type { OperatorHandle } from '../../operator/src/operator.ts';
import {
  apps,
  condition,
  core,
  createResource,
  deleteClusterRoles,
  eventually,
  getResource,
  installCrds,
  kc,
  operatorIdentity,
  patchSpec,
  startTestOperator,
} from '../../operator/test/support.ts';
import { spawnModelServer, TINY, waitReady } from '../model-server/process.ts';
import { chatLoad, tinyWithTemplate } from '../model-server/tiny.ts';
import { createMemoryCgroup, memoryCgroupParent } from '../support/memory-cgroup.ts';
import { KUBELET_NAMESPACE as namespace, startKubelet, type Kubelet } from './kubelet.ts';

const MiB = 2 ** 20;
let kubelet: Kubelet;
let operator: OperatorHandle | undefined;
let work: string;

/** An InferenceModel spec serving the tiny model at a quantization, as version. */
async function tinySpec(version: string, quantization: 'int8' | 'int4', uri = TINY) {
  const resolved = await resolveModel({ uri, version, quantization });
  const digest = createHash('sha256')
    .update(await readFile(resolved.weightsPath))
    .digest('hex');
  return {
    runtime: 'onnx',
    source: { uri: `file://${uri}`, checksum: `sha256:${digest}` },
    quantization,
    modelBytes: resolved.weightsBytes,
    version,
    replicas: 1,
  };
}

/** Chat load through the model's Service: whole answers and streams, each checked in full. */
const load = (model: string, workers = 3) =>
  chatLoad(
    new OpenAI({
      baseURL: `http://model-${model}.${namespace}.svc:8080/v1`,
      apiKey: 'unused',
      maxRetries: 0,
      fetch: kubelet.serviceFetch,
    }),
    model,
    workers,
  );

const status = async (name: string) =>
  (await getResource(namespace, 'InferenceModel', name)).status;
const waitStatus = (name: string, expected: Record<string, unknown>, timeoutMs = 90_000) =>
  eventually(async () => {
    const s = await status(name);
    return Object.entries(expected).every(([k, v]) => s?.[k] === v) ? s : undefined;
  }, timeoutMs);
const podNames = async (model: string) =>
  (
    await core.listNamespacedPod({ namespace, labelSelector: `inference.enis.io/model=${model}` })
  ).items
    .map((p) => p.metadata?.name ?? '')
    .sort();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'model-rollout-'));
  await installCrds();
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  // The model server keeps a swapped-out version 30 s for its own rollback; 2 s here.
  kubelet = await startKubelet({ kc, env: { MODEL_ROLLBACK_WINDOW_S: '2' } });
  operator = await startTestOperator(
    [namespace],
    await operatorIdentity(namespace),
    {},
    kubelet.fetch,
  );
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await kubelet.stop();
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await deleteClusterRoles();
  await rm(work, { recursive: true, force: true });
});

describe('a blue/green rollout of real model servers', () => {
  const name = 'tiny-bg';
  const rollout = { strategy: 'BlueGreen', rollbackWindowSeconds: 600 };

  it('serves the first version on blue', async () => {
    await createResource(namespace, {
      kind: 'InferenceModel',
      metadata: { name },
      spec: { ...(await tinySpec('v1', 'int8')), rollout },
    });
    const s = await waitStatus(name, { activeVersion: 'v1', activeColor: 'blue' });
    expect(s.readyReplicas).toBe(1);
    const ready = await getResource(namespace, 'InferenceModel', name);
    expect(condition(ready, 'Ready')).toMatchObject({ status: 'True' });
  }, 120_000);

  it('switches to a new version on green under load, and back by spec, failing nothing', async () => {
    const blue = await podNames(name);
    const traffic = load(name);
    await eventually(async () => (traffic.tally.ok >= 6 ? true : undefined), 30_000);

    await patchSpec(namespace, 'InferenceModel', name, { ...(await tinySpec('v2', 'int4')) });
    await waitStatus(name, { activeVersion: 'v2', activeColor: 'green', previousVersion: 'v1' });
    const service = await core.readNamespacedService({ namespace, name: `model-${name}` });
    expect(service.spec?.selector?.['inference.enis.io/color']).toBe('green');
    const switchedAt = traffic.tally.versions.length;
    await eventually(
      async () => (traffic.tally.versions.slice(switchedAt).includes('v2') ? true : undefined),
      30_000,
    );
    // Blue keeps its pod through the rollback window.
    const standby = await apps.readNamespacedDeployment({ namespace, name: `model-${name}-blue` });
    expect(standby.spec?.replicas).toBe(1);

    // Back to v1 in spec (a GitOps revert): blue's pod, still up, serves again at once.
    await patchSpec(namespace, 'InferenceModel', name, { ...(await tinySpec('v1', 'int8')) });
    await waitStatus(
      name,
      { activeVersion: 'v1', activeColor: 'blue', previousVersion: 'v2' },
      30_000,
    );
    const backAt = traffic.tally.versions.length;
    await eventually(
      async () => (traffic.tally.versions.slice(backAt).includes('v1') ? true : undefined),
      30_000,
    );
    const tally = await traffic.stop();
    expect(tally.failed).toEqual([]);
    expect(tally.streams).toBeGreaterThan(3);
    expect((await podNames(name)).filter((pod) => blue.includes(pod))).toEqual(blue);
  }, 180_000);
});

describe('an in-place rollout of real model servers', () => {
  const name = 'tiny-ip';

  it('swaps inside the running pod under load, failing nothing and starting no pod', async () => {
    await createResource(namespace, {
      kind: 'InferenceModel',
      metadata: { name },
      spec: { ...(await tinySpec('v1', 'int8')), rollout: { strategy: 'InPlace' } },
    });
    await waitStatus(name, { activeVersion: 'v1', activeColor: 'blue' });
    const before = await podNames(name);
    const traffic = load(name);
    await eventually(async () => (traffic.tally.ok >= 6 ? true : undefined), 30_000);
    await patchSpec(namespace, 'InferenceModel', name, {
      ...(await tinySpec('v2', 'int4')),
      rollout: { strategy: 'InPlace' },
    });
    await waitStatus(name, { activeVersion: 'v2', activeColor: 'blue', previousVersion: 'v1' });
    const at = traffic.tally.versions.length;
    await eventually(
      async () => (traffic.tally.versions.slice(at).includes('v2') ? true : undefined),
      30_000,
    );
    const tally = await traffic.stop();
    expect(tally.failed).toEqual([]);
    expect(await podNames(name)).toEqual(before);
    expect((await status(name))?.['activeColor']).toBe('blue');
  }, 180_000);

  it('keeps the old version when the new one fails its warm-up, and says why', async () => {
    const broken = await tinyWithTemplate(join(work, 'broken'), "{{ raise_exception('broken') }}");
    await patchSpec(namespace, 'InferenceModel', name, {
      ...(await tinySpec('v3', 'int8', broken)),
      rollout: { strategy: 'InPlace' },
    });
    const degraded = await eventually(async () => {
      const model = await getResource(namespace, 'InferenceModel', name);
      return condition(model, 'Degraded')?.status === 'True' ? model : undefined;
    }, 60_000);
    expect(condition(degraded, 'Degraded')).toMatchObject({ reason: 'WarmUpFailed' });
    expect(condition(degraded, 'Ready')).toMatchObject({ status: 'True' });
    expect(degraded.status).toMatchObject({ activeVersion: 'v2' });
    // The pod went back to v2: its ConfigMap says v2 again, and it answers as v2.
    const configMap = await core.readNamespacedConfigMap({ namespace, name: `model-${name}-blue` });
    expect(JSON.parse(configMap.data?.['spec.json'] ?? '{}')).toMatchObject({ version: 'v2' });
  }, 120_000);
});

describe.skipIf(memoryCgroupParent === undefined)(
  'an Auto rollout whose pods cannot hold two versions',
  () => {
    const name = 'tiny-guard';

    it('falls back to blue/green when the pod refuses the dual-load, failing nothing', async () => {
      // What one version costs a model server here: its working set once loaded and warm.
      const group = await createMemoryCgroup(`calibrate-${String(process.pid)}`, 1024 * MiB);
      const probe = await spawnModelServer(
        { MODEL_URI: TINY, MODEL_NAME: 'calibrate', MODEL_ADMIN_TOKEN: 'c' },
        group.prefix,
      );
      await waitReady(probe);
      const memory = (await (
        await fetch(`${probe.url}/admin/memory`, { headers: { authorization: 'Bearer c' } })
      ).json()) as { workingSetBytes: number };
      await probe.stop();
      await group.remove();
      // Declared below what a pod really holds, with a limit that holds it plus 1.3 × it: the
      // operator's arithmetic allows a dual-load (Auto picks InPlace), the pod's own does not.
      const modelBytes = Math.floor(memory.workingSetBytes * 0.6);
      const limit = modelBytes + Math.ceil(modelBytes * 1.3) + 2 * MiB;
      const spec = async (version: string, quantization: 'int8' | 'int4') => ({
        ...(await tinySpec(version, quantization)),
        modelBytes,
        resources: { limits: { memory: String(limit) } },
      });
      await createResource(namespace, {
        kind: 'InferenceModel',
        metadata: { name },
        spec: await spec('v1', 'int8'),
      });
      await waitStatus(name, { activeVersion: 'v1', activeColor: 'blue' });
      expect([...kubelet.pods.values()].find((p) => p.name.includes(name))?.memoryLimited).toBe(
        true,
      );
      const traffic = load(name);
      await eventually(async () => (traffic.tally.ok >= 6 ? true : undefined), 30_000);
      await patchSpec(namespace, 'InferenceModel', name, await spec('v2', 'int4'));
      await waitStatus(name, { activeVersion: 'v2', activeColor: 'green', previousVersion: 'v1' });
      const tally = await traffic.stop();
      expect(tally.failed).toEqual([]);
      // The blue pod tried in place first and said why it would not.
      const blue = [...kubelet.pods.values()].find((p) => p.name.startsWith(`model-${name}-blue`));
      expect(blue?.process.output()).toContain('InsufficientHeadroom');
    }, 180_000);

    it('says MemoryHeadroomOK=False while its pods are short of room, and True once the limit is raised', async () => {
      const headroom = async (status: string) =>
        eventually(async () => {
          const model = await getResource(namespace, 'InferenceModel', name);
          const c = condition(model, 'MemoryHeadroomOK');
          return c?.status === status ? c : undefined;
        }, 90_000);
      // The green pod holds v2 in the same tight cgroup: no room for a second version.
      expect(await headroom('False')).toMatchObject({ reason: 'MemoryHeadroomLow' });
      const model = await getResource(namespace, 'InferenceModel', name);
      expect(condition(model, 'Ready')?.status).toBe('True');
      await patchSpec(namespace, 'InferenceModel', name, {
        resources: { limits: { memory: String(1024 * MiB) } },
      });
      expect(await headroom('True')).toMatchObject({ reason: 'SufficientHeadroom' });
    }, 180_000);
  },
);
