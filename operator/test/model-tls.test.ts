// An InferenceModel with spec.tls against the real control plane, the operator running as its
// own ServiceAccount with INFERENCE_TLS=operator: it issues the model server's certificate
// from the gateway CA into model-<name>-tls (cert-manager layout, ca.crt = the gateway's CA
// bundle, expiry labels), mounts it in the model-server Deployments with HTTPS probes, reports
// an https endpoint, and renders the route's local target at https with the gateway's client
// certificate; a local target without tls is left out, naming why.
import { X509Certificate } from 'node:crypto';
import { EventsV1Api, type V1Secret } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorHandle } from '../src/operator.ts';
import {
  apps,
  core,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  eventually,
  getResource,
  installCrds,
  kc,
  newNamespace,
  operatorIdentity,
  startTestOperator,
  waitForCondition,
} from './support.ts';

const model = {
  kind: 'InferenceModel',
  metadata: { name: 'phi' },
  spec: {
    runtime: 'onnx',
    source: { uri: 'file:///models/phi', checksum: `sha256:${'a'.repeat(64)}` },
    modelBytes: 1024,
    version: 'v1',
    tls: {},
  },
};
const tlsTarget = {
  name: 'phi',
  provider: 'local',
  model: 'phi',
  tls: { ca: { gateway: true }, clientCertificate: { gateway: true } },
};
const routes = [
  {
    kind: 'ProviderRoute',
    metadata: { name: 'phi' },
    spec: { alias: 'phi', targets: [tlsTarget] },
  },
  {
    kind: 'ProviderRoute',
    metadata: { name: 'phi-plain' },
    spec: {
      alias: 'phi-plain',
      targets: [
        { name: 'phi', provider: 'local', model: 'phi' },
        { name: 'echo', provider: 'mock', model: 'echo' },
      ],
    },
  },
];

const operators: OperatorHandle[] = [];
let namespace: string;
beforeAll(async () => {
  await installCrds();
  namespace = await newNamespace('modeltls');
  operators.push(
    await startTestOperator([namespace], await operatorIdentity(namespace), {
      INFERENCE_TLS: 'operator',
    }),
  );
  await createResource(namespace, model);
  for (const route of routes) await createResource(namespace, route);
}, 60_000);
afterAll(async () => {
  await Promise.allSettled(operators.map((operator) => operator.stop()));
  await deleteNamespaces();
  await deleteClusterRoles();
});

const text = (secret: V1Secret, key: string) =>
  Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
const secret = (name: string) =>
  eventually(() => core.readNamespacedSecret({ namespace, name }), 30_000);

describe('an InferenceModel with spec.tls (INFERENCE_TLS=operator)', () => {
  it("issues the model server's certificate from the gateway CA, with the gateway's CA bundle as ca.crt", async () => {
    const issued = await secret('model-phi-tls');
    const ca = await secret('inference-tls-ca');
    const client = await secret('inference-tls-client');
    expect(issued.type).toBe('kubernetes.io/tls');
    expect(Object.keys(issued.data ?? {}).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const leaf = new X509Certificate(text(issued, 'tls.crt'));
    expect(leaf.checkIssued(new X509Certificate(text(ca, 'tls.crt')))).toBe(true);
    expect(leaf.subjectAltName).toContain(`DNS:model-phi.${namespace}.svc`);
    expect(leaf.subjectAltName).toContain(`DNS:model-phi-green.${namespace}.svc`);
    expect(text(issued, 'ca.crt')).toBe(text(client, 'ca.crt'));
    expect(issued.metadata?.labels?.['inference.enis.io/not-after']).toBe(
      leaf.validToDate
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/[-:]/g, ''),
    );
    expect(issued.metadata?.labels?.['inference.enis.io/renew-at']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(issued.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'InferenceModel',
      name: 'phi',
    });
  });

  it('records CertificateIssued on the model and reports TLSReady and an https endpoint', async () => {
    const ready = await waitForCondition(namespace, 'InferenceModel', 'phi', 'TLSReady', 'True');
    expect(ready.status?.['endpoint']).toBe(`https://model-phi.${namespace}.svc:8080/v1`);
    const events = kc.makeApiClient(EventsV1Api);
    const reasons = await eventually(async () => {
      const list = await events.listNamespacedEvent({ namespace });
      const found = list.items
        .filter((e) => e.regarding?.kind === 'InferenceModel')
        .map((e) => e.reason ?? '');
      return found.includes('CertificateIssued') ? found : undefined;
    }, 30_000);
    expect(reasons).toContain('CertificateIssued');
  });

  it('mounts the Secret in the model-server Deployment, requires client certificates and probes over HTTPS', async () => {
    const deployment = await eventually(
      () => apps.readNamespacedDeployment({ namespace, name: 'model-phi-blue' }),
      30_000,
    );
    const pod = deployment.spec?.template.spec;
    expect(pod?.volumes?.find((v) => v.name === 'model-tls')?.secret?.secretName).toBe(
      'model-phi-tls',
    );
    const container = pod?.containers.find((c) => c.name === 'model-server');
    expect(container?.env).toEqual(
      expect.arrayContaining([
        { name: 'MODEL_TLS_CLIENT_CERTIFICATES', value: 'required' },
        { name: 'MODEL_TLS_DIR', value: '/etc/model-tls' },
      ]),
    );
    expect(container?.readinessProbe?.httpGet?.scheme).toBe('HTTPS');
  });

  it("renders the local target at https with the gateway's client certificate, and leaves out one without tls", async () => {
    const rendered = await eventually(async () => {
      const config = await core.readNamespacedConfigMap({ namespace, name: 'inference-config' });
      const parsed = parse(config.data?.['routes.yaml'] ?? '') as {
        routes?: { alias: string; targets: { name: string; baseURL?: string }[] }[];
      };
      const phi = parsed.routes?.find((r) => r.alias === 'phi');
      return phi?.targets[0]?.baseURL?.startsWith('https://') === true ? parsed : undefined;
    }, 30_000);
    expect(rendered.routes?.find((r) => r.alias === 'phi')?.targets[0]?.baseURL).toBe(
      `https://model-phi.${namespace}.svc:8080/v1`,
    );
    expect(
      rendered.routes?.find((r) => r.alias === 'phi-plain')?.targets.map((t) => t.name),
    ).toEqual(['echo']);
    const upstream = await secret('inference-upstream-tls');
    expect(Object.keys(upstream.data ?? {}).sort()).toEqual([
      'gateway-ca.crt',
      'gateway-client.crt',
      'gateway-client.key',
    ]);
    await waitForCondition(namespace, 'ProviderRoute', 'phi', 'UpstreamTLSReady', 'True');
    await waitForCondition(
      namespace,
      'ProviderRoute',
      'phi-plain',
      'UpstreamTLSReady',
      'False',
      'ModelServerRequiresTLS',
    );
    const plain = await getResource(namespace, 'ProviderRoute', 'phi-plain');
    expect(JSON.stringify(plain.status?.conditions)).toContain('the chain is served without phi');
  });
});
