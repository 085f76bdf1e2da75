// The kubelet stand-in against the real API server: what it writes for ConfigMaps and Secrets,
// and what it does not write (metadata-only changes, objects that are not volumes).
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectVolumes, type Projection } from './kubelet-projection.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';

let core: CoreV1Api;
let namespace: string;
let root: string;
let projection: Projection;

const visible = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => !name.startsWith('..')).sort();

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe.skipIf(clusterOff)('the kubelet projection', () => {
  beforeAll(async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(inject('kubeconfig'));
    core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespace({ body: { metadata: { generateName: 'proj-' } } });
    namespace = created.metadata?.name ?? '';
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'cfg' }, data: { 'a.yaml': 'a: 1\n', 'b.yaml': 'b: 1\n' } },
    });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'sec' }, stringData: { 'resume.json': '{"k":1}' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'not-a-volume' }, data: { 'x.yaml': 'x' } },
    });
    root = await mkdtemp(join(tmpdir(), 'projection-'));
    projection = projectVolumes({
      kubeconfig: inject('kubeconfig'),
      namespace,
      root,
      sources: [
        { kind: 'ConfigMap', name: 'cfg', path: '' },
        { kind: 'Secret', name: 'sec', path: 'keys' },
      ],
    });
    await projection.ready;
  }, 30_000);

  afterAll(async () => {
    await projection.stop();
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('writes each source into its folder, Secrets decoded, and nothing else', async () => {
    expect(await visible(root)).toEqual(['a.yaml', 'b.yaml', 'keys']);
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('a: 1\n');
    expect(await readFile(join(root, 'keys', 'resume.json'), 'utf8')).toBe('{"k":1}');
    expect(Object.fromEntries(projection.writes())).toEqual({
      'ConfigMap/cfg': 1,
      'Secret/sec': 1,
    });
  });

  it('swaps in a data change, and records the resourceVersion it wrote', async () => {
    const updated = await core.patchNamespacedConfigMap(
      { namespace, name: 'cfg', body: { data: { 'a.yaml': 'a: 2\n' } } },
      mergePatch,
    );
    await until(async () => (await readFile(join(root, 'a.yaml'), 'utf8')) === 'a: 2\n');
    expect(projection.history().at(-1)).toMatchObject({
      source: 'ConfigMap/cfg',
      resourceVersion: updated.metadata?.resourceVersion,
    });
  });

  it('writes nothing for a change of metadata only (kubelet compares the payload)', async () => {
    const before = projection.history().length;
    const labelled = await core.patchNamespacedConfigMap(
      { namespace, name: 'cfg', body: { metadata: { labels: { touched: 'yes' } } } },
      mergePatch,
    );
    // A later data change on the same watch proves the label's event came (and was skipped).
    const changed = await core.patchNamespacedConfigMap(
      { namespace, name: 'cfg', body: { data: { 'c.yaml': 'c: 1\n' } } },
      mergePatch,
    );
    await until(async () => (await visible(root)).includes('c.yaml'));
    expect(projection.history().slice(before)).toEqual([
      expect.objectContaining({
        source: 'ConfigMap/cfg',
        resourceVersion: changed.metadata?.resourceVersion,
      }),
    ]);
    expect(labelled.metadata?.labels).toEqual({ touched: 'yes' });
  });

  it('drops a removed key and keeps the last content when the object is deleted', async () => {
    await core.patchNamespacedConfigMap(
      { namespace, name: 'cfg', body: { data: { 'b.yaml': null } } },
      mergePatch,
    );
    await until(async () => !(await visible(root)).includes('b.yaml'));
    await core.deleteNamespacedConfigMap({ namespace, name: 'cfg' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await visible(root)).toEqual(['a.yaml', 'c.yaml', 'keys']);
    expect(await readFile(join(root, 'a.yaml'), 'utf8')).toBe('a: 2\n');
    expect(projection.errors()).toEqual([]);
  });
});
