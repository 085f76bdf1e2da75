// A route target's upstream TLS as the operator renders it, against the dataplane's loader:
// the referenced Secrets and the gateway's own client certificate are copied into
// `inference-upstream-tls`, mounted at upstream-tls/, and make a snapshot whose target carries
// exactly that material; a target whose material is missing is left out of the chain, so the
// dataplane never refuses the contract for it. The certificate Secrets carry their expiry and
// renewal as label-safe labels for `kubectl get secret -L`.
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../dataplane/src/config/snapshot.ts';
import type { FreshCertificateKeys } from '../../operator/src/controllers/certificates.ts';
import { reconcileGateway } from '../../operator/src/controllers/gateway.ts';
import { configChecksum } from '../../operator/src/render/config-contract.ts';
import type { KubeObject } from '../../operator/src/runtime/objects.ts';
import { refs, route } from '../../operator/test/fixtures.ts';
import { find, mountedFiles, observed } from '../../operator/test/gateway-observed.ts';
import { createCa, issue } from '../support/x509.ts';

const operatorTls = {
  kind: 'operator',
  caLifetimeMs: 365 * 86_400_000,
  certificateLifetimeMs: 30 * 86_400_000,
  trustDomain: 'cluster.local',
} as const;

function freshKeys(): FreshCertificateKeys {
  const draw = () => {
    const serial = randomBytes(16);
    serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
    return { key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, serial };
  };
  return { ca: draw(), serving: draw(), client: draw() };
}

const decode = (object: KubeObject & Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries((object['data'] ?? {}) as Record<string, string>).map(([key, value]) => [
      key,
      Buffer.from(value, 'base64').toString('utf8'),
    ]),
  );
const b64 = (text: string) => Buffer.from(text).toString('base64');

const now = new Date();
const upstreamCa = createCa('upstream-ca');
const client = issue(upstreamCa, { commonName: 'gateway', usages: ['clientAuth'] });
const secrets = new Map([
  ...refs().secrets,
  ['upstream-ca', { 'ca.crt': b64(upstreamCa.cert) }],
  ['upstream-client', { 'tls.crt': b64(client.cert), 'tls.key': b64(client.key) }],
]);
const secure = (name: string, tls: object) => ({
  name,
  provider: 'openai-compatible',
  model: 'm',
  baseURL: 'https://upstream.internal/v1',
  tls,
});
const routes = [
  route('secure', {
    alias: 'secure',
    targets: [
      secure('by-secret', {
        ca: { secretName: 'upstream-ca' },
        clientCertificate: { secretName: 'upstream-client' },
        serverName: 'upstream.internal',
      }),
      secure('by-gateway', { ca: { gateway: true }, clientCertificate: { gateway: true } }),
      secure('missing', { clientCertificate: { secretName: 'not-there' } }),
    ],
  }),
];

function render() {
  return reconcileGateway(
    observed(
      { now, routes, refs: refs({ secrets }), freshCertificateKeys: freshKeys() },
      { tls: operatorTls },
    ),
  ).desired;
}

describe('the upstream TLS the operator renders', () => {
  it('is a snapshot the dataplane accepts, each target with the material its tls block names', () => {
    const desired = render();
    const gatewayClient = decode(find(desired, 'Secret', 'inference-tls-client'));
    const files = mountedFiles(desired);
    for (const [key, text] of Object.entries(decode(find(desired, 'Secret', 'inference-tls'))))
      files.set(`tls/${key}`, text);
    const snapshot = buildSnapshot({ files, checksum: configChecksum(files) }, {}, now.getTime());
    const targets = snapshot.routes.get('secure')?.targets ?? [];
    expect(targets.map((t) => t.name)).toEqual(['by-secret', 'by-gateway']);
    expect(targets[0]?.tls).toMatchObject({
      ca: upstreamCa.cert,
      cert: client.cert,
      key: client.key,
      serverName: 'upstream.internal',
    });
    expect(targets[1]?.tls).toMatchObject({
      ca: gatewayClient['ca.crt'],
      cert: gatewayClient['tls.crt'],
      key: gatewayClient['tls.key'],
    });
    expect(
      find(desired, 'ConfigMap', 'inference-config').metadata.annotations?.[
        'inference.enis.io/config-checksum'
      ],
    ).toBe(configChecksum(files));
  });

  it('copies only what the rendered targets use into inference-upstream-tls', () => {
    expect(Object.keys(decode(find(render(), 'Secret', 'inference-upstream-tls')))).toEqual([
      'gateway-ca.crt',
      'gateway-client.crt',
      'gateway-client.key',
      'upstream-ca__ca.crt',
      'upstream-client__tls.crt',
      'upstream-client__tls.key',
    ]);
  });

  it('is mounted by the gateway Deployment at upstream-tls/ of the contract', () => {
    const deployment = find(render(), 'Deployment', 'inference-gateway') as unknown as {
      spec: {
        template: {
          spec: {
            volumes: { name: string; secret?: { secretName: string } }[];
            containers: { volumeMounts: { name: string; mountPath: string }[] }[];
          };
        };
      };
    };
    const pod = deployment.spec.template.spec;
    const volume = pod.volumes.find((v) => v.secret?.secretName === 'inference-upstream-tls');
    expect(
      pod.containers[0]?.volumeMounts.find((mount) => mount.name === volume?.name)?.mountPath,
    ).toBe('/etc/inference/upstream-tls');
  });
});

describe('the certificate Secrets the operator issues', () => {
  it('carry their expiry and renewal time as label-safe labels, for kubectl get -L', () => {
    const desired = render();
    const basic = (ms: number) =>
      new Date(ms)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/[-:]/g, '');
    for (const name of ['inference-tls', 'inference-tls-client', 'inference-tls-ca']) {
      const secret = find(desired, 'Secret', name);
      const cert = new X509Certificate(decode(secret)['tls.crt'] ?? '');
      const from = cert.validFromDate.getTime();
      const to = cert.validToDate.getTime();
      const labels = secret.metadata.labels ?? {};
      expect(labels['inference.enis.io/not-after']).toBe(basic(to));
      expect(labels['inference.enis.io/renew-at']).toBe(basic(from + ((to - from) * 2) / 3));
      expect(labels['inference.enis.io/not-after']).toMatch(/^\d{8}T\d{6}Z$/);
    }
  });
});
