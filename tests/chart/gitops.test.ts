// The GitOps examples of deploy/gitops: valid YAML of the kinds Argo CD and Flux read, pointing at
// the chart and the samples of this repository, with values the chart's schema accepts, and the
// samples going to the namespace the operator is told to watch.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CHART, helm, helmBinary, KUBE_VERSION } from './helm.ts';

const ROOT = new URL('../../', import.meta.url);
type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
};
const read = (path: string): Doc[] =>
  parseAllDocuments(readFileSync(new URL(path, ROOT), 'utf8')).map((d) => {
    expect(d.errors, path).toEqual([]);
    return d.toJS() as Doc;
  });
const chartName = (parse(readFileSync(`${CHART}Chart.yaml`, 'utf8')) as { name: string }).name;
const sampleKinds = (dir: string): string[] =>
  readdirSync(new URL(`${dir}/`, ROOT))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => read(`${dir}/${f}`)[0]!.kind)
    .sort();

/** The chart renders with these values (its schema accepts them). */
async function renders(values: object): Promise<void> {
  if (helmBinary === undefined) return;
  const args = ['template', 'gitops', CHART, '--kube-version', KUBE_VERSION];
  const result = await helm([
    ...args,
    '--set-json',
    `operator=${JSON.stringify((values as { operator: object }).operator)}`,
  ]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

describe('the Argo CD example', () => {
  const apps = read('deploy/gitops/argocd/application.yaml');

  it('is two Applications: the chart of this repository, then the samples into the watched namespace', async () => {
    expect(apps.map((a) => [a.apiVersion, a.kind, a.metadata.name])).toEqual([
      ['argoproj.io/v1alpha1', 'Application', 'inference-service'],
      ['argoproj.io/v1alpha1', 'Application', 'inference-samples'],
    ]);
    const [chart, samples] = apps as [Doc, Doc];
    const source = chart.spec['source'] as {
      path: string;
      helm: { valuesObject: { operator: { watchNamespaces: string[] } } };
    };
    expect(
      (parse(readFileSync(new URL(`${source.path}/Chart.yaml`, ROOT), 'utf8')) as { name: string })
        .name,
    ).toBe(chartName);
    await renders(source.helm.valuesObject);
    const samplesSource = samples.spec['source'] as { path: string };
    expect(sampleKinds(samplesSource.path)).toEqual([
      'InferenceModel',
      'MCPGateway',
      'PromptManifest',
      'ProviderRoute',
      'TenantBudget',
    ]);
    expect(source.helm.valuesObject.operator.watchNamespaces).toEqual([
      (samples.spec['destination'] as { namespace: string }).namespace,
    ]);
    const waves = apps.map(
      (a) =>
        (a.metadata as { annotations?: Record<string, string> }).annotations?.[
          'argocd.argoproj.io/sync-wave'
        ],
    );
    expect(waves).toEqual(['0', '1']);
  });
});

describe('the Flux example', () => {
  const sources = read('deploy/gitops/flux/sources.yaml');
  const release = read('deploy/gitops/flux/release/helmrelease.yaml');

  it('is a GitRepository, a Kustomization of the HelmRelease and one of the samples that depends on it', () => {
    expect(sources.map((d) => [d.kind, d.metadata.name])).toEqual([
      ['GitRepository', 'inference-service'],
      ['Kustomization', 'inference-service'],
      ['Kustomization', 'inference-samples'],
    ]);
    const [, operator, samples] = sources as [Doc, Doc, Doc];
    for (const k of [operator, samples]) {
      expect(k.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
      expect(k.spec['sourceRef']).toEqual({ kind: 'GitRepository', name: 'inference-service' });
      expect(existsSync(new URL(`${String(k.spec['path']).slice(2)}/`, ROOT))).toBe(true);
    }
    expect(operator.spec['path']).toBe('./deploy/gitops/flux/release');
    expect(samples.spec['dependsOn']).toEqual([{ name: 'inference-service' }]);
    expect(sampleKinds(String(samples.spec['path']).slice(2))).toHaveLength(5);
  });

  it('holds a HelmRelease of the chart whose values the chart accepts, watching the samples namespace', async () => {
    const helmRelease = release.find((d) => d.kind === 'HelmRelease')!;
    expect(helmRelease.apiVersion).toBe('helm.toolkit.fluxcd.io/v2');
    const chart = (helmRelease.spec['chart'] as { spec: { chart: string; sourceRef: object } })
      .spec;
    expect(chart.sourceRef).toEqual({
      kind: 'GitRepository',
      name: 'inference-service',
      namespace: 'flux-system',
    });
    expect(
      (
        parse(readFileSync(new URL(`${chart.chart.slice(2)}/Chart.yaml`, ROOT), 'utf8')) as {
          name: string;
        }
      ).name,
    ).toBe(chartName);
    const values = helmRelease.spec['values'] as { operator: { watchNamespaces: string[] } };
    await renders(values);
    const samples = sources.find((d) => d.metadata.name === 'inference-samples')!;
    expect(values.operator.watchNamespaces).toEqual([samples.spec['targetNamespace']]);
    // Both namespaces exist before the release and the samples need them.
    expect(release.filter((d) => d.kind === 'Namespace').map((d) => d.metadata.name)).toEqual([
      helmRelease.metadata.namespace,
      samples.spec['targetNamespace'],
    ]);
  });
});
