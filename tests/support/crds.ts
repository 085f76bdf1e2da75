import {
  ApiextensionsV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { eventually } from './eventually.ts';

const CRD_DIR = new URL('../../crds/generated/', import.meta.url);

/** Server-side applies the generated CRDs and waits until every one is Established. */
export async function installCrds(kc: KubeConfig): Promise<void> {
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const crds = readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => parse(readFileSync(new URL(f, CRD_DIR), 'utf8')) as V1CustomResourceDefinition);
  for (const crd of crds) {
    await extensions.patchCustomResourceDefinition(
      { name: crd.metadata!.name!, body: crd, fieldManager: 'inference-tests', force: true },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }
  for (const crd of crds) {
    await eventually(async () => {
      const got = await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! });
      return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')
        ? true
        : undefined;
    }, 30_000);
  }
}
