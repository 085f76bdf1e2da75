// Deleting a resource removes its children (garbage collection through ownerReferences, with
// the operator stopped, so nothing but the ownerReferences can explain it); invalid resources
// are refused by the API server with a message that names the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { celCases } from '../../crds/cel-cases.ts';
import { kinds } from '../../crds/index.ts';
import { readSample } from '../../crds/sample-files.ts';
import { GROUP, VERSION } from '../../crds/common.ts';
import type { OperatorHandle } from '../src/operator.ts';
import {
  apps,
  core,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  deleteResource,
  eventually,
  failure,
  installCrds,
  isGone,
  newNamespace,
  objects,
  operatorIdentity,
  PLURALS,
  startTestOperator,
  waitForCondition,
  type Kind,
} from './support.ts';

let namespace: string;
let operator: OperatorHandle | undefined;

beforeAll(async () => {
  await installCrds();
  namespace = await newNamespace('lifecycle');
  operator = await startTestOperator([namespace], await operatorIdentity(namespace));
}, 60_000);

afterAll(async () => {
  await operator?.stop();
  await deleteNamespaces();
  await deleteClusterRoles();
});

const model = (name: string) => {
  const sample = readSample(kinds.find((k) => k.kind === 'InferenceModel')!);
  return {
    kind: 'InferenceModel',
    metadata: { name },
    spec: { ...(sample.spec as object), replicas: 1 },
  };
};

const childrenGone = (name: string) => async () =>
  (await isGone(apps.readNamespacedDeployment({ namespace, name }))) &&
  (await isGone(core.readNamespacedService({ namespace, name })))
    ? true
    : undefined;

describe('deleting a resource', () => {
  it('removes its children while the operator runs', async () => {
    await createResource(namespace, model('pruned'));
    await waitForCondition(
      namespace,
      'InferenceModel',
      'pruned',
      'Ready',
      'True',
      undefined,
      60_000,
    );
    await deleteResource(namespace, 'InferenceModel', 'pruned');
    await eventually(childrenGone('model-pruned'), 30_000);
  }, 90_000);

  it('removes its children by garbage collection, the operator stopped', async () => {
    await createResource(namespace, model('collected'));
    await waitForCondition(
      namespace,
      'InferenceModel',
      'collected',
      'Ready',
      'True',
      undefined,
      60_000,
    );
    await operator?.stop();
    operator = undefined;
    await deleteResource(namespace, 'InferenceModel', 'collected');
    // kube-controller-manager's garbage collector learns new CRDs by discovery, every 30 s.
    await eventually(childrenGone('model-collected'), 90_000);
  }, 160_000);
});

describe('an invalid resource', () => {
  it.each(celCases.map((c) => [`${c.kind.kind}: ${c.title}`, c] as const))(
    'is refused (%s) with a 422 naming the field',
    async (_title, c) => {
      const sample = readSample(c.kind);
      const { code, message } = await failure(
        objects.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural: PLURALS[c.kind.kind as Kind],
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: c.kind.kind,
            metadata: { name: 'invalid' },
            spec: c.invalid(sample.spec),
          },
        }),
      );
      expect(code).toBe(422);
      // The rule's path, with the index of the item it refused (the sample's first, or the
      // one the case changed).
      const path = c.path
        .slice(1)
        .split('[]')
        .map(escape)
        .join(String.raw`\[\d+\]`);
      expect(message).toMatch(new RegExp(path));
      expect(message).toMatch(
        c.message.includes('unique') ? /Duplicate value|unique/ : new RegExp(escape(c.message)),
      );
    },
  );

  it('is refused when a field breaks the schema, naming the field and the allowed values', async () => {
    const sample = readSample(kinds.find((k) => k.kind === 'ProviderRoute')!) as {
      spec: { targets: object[] };
    };
    const { code, message } = await failure(
      createResource(namespace, {
        kind: 'ProviderRoute',
        metadata: { name: 'bad-provider' },
        spec: { ...sample.spec, targets: [{ ...sample.spec.targets[0], provider: 'openia' }] },
      }),
    );
    expect(code).toBe(422);
    expect(message).toContain('spec.targets[0].provider');
    expect(message).toContain('Unsupported value: "openia"');
  });

  it('is refused when it carries an unknown field and validation is strict', async () => {
    const sample = readSample(kinds.find((k) => k.kind === 'TenantBudget')!);
    const { code, message } = await failure(
      objects.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'tenantbudgets',
        fieldValidation: 'Strict',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'TenantBudget',
          metadata: { name: 'typo' },
          spec: { ...(sample.spec as object), tenat: 'acme' },
        },
      }),
    );
    expect(code).toBe(400);
    expect(message).toContain('unknown field "spec.tenat"');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
