// The gateway's TLS as the operator renders it, against the dataplane's loader: the
// certificate Secrets of INFERENCE_TLS=operator, mounted at tls/ as the Deployment mounts
// them, make a snapshot with TLS whose checksum is the one the operator records; with
// INFERENCE_TLS=cert-manager the user's Secret is mounted and only read.
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../dataplane/src/config/snapshot.ts';
import type { FreshCertificateKeys } from '../../operator/src/controllers/certificates.ts';
import { reconcileGateway } from '../../operator/src/controllers/gateway.ts';
import { configChecksum } from '../../operator/src/render/config-contract.ts';
import type { KubeObject } from '../../operator/src/runtime/objects.ts';
import { parseGatewayConfig } from '../../operator/src/settings.ts';
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

/** The pod's files with the Secret the Deployment mounts at tls/. */
function withTlsMount(objects: KubeObject[], secret: Record<string, string>) {
  const files = mountedFiles(objects);
  for (const [key, text] of Object.entries(secret)) files.set(`tls/${key}`, text);
  return files;
}

const checksumAnnotation = (objects: KubeObject[]) =>
  find(objects, 'ConfigMap', 'inference-config').metadata.annotations?.[
    'inference.enis.io/config-checksum'
  ];

interface PodSpec {
  spec: {
    template: {
      spec: {
        volumes: { name: string; secret?: { secretName: string } }[];
        containers: {
          volumeMounts: { name: string; mountPath: string }[];
          readinessProbe: unknown;
        }[];
      };
    };
  };
}

describe('the gateway TLS the operator renders', () => {
  it('issues certificate Secrets that the dataplane serves, with the checksum the operator records', () => {
    const gatewayConfig = parseGatewayConfig(
      {
        auth: { issuer: 'https://issuer', audience: 'aud' },
        tls: { clientCertificates: 'required' },
      },
      'test',
    );
    const { desired, gauges } = reconcileGateway(
      observed({ freshCertificateKeys: freshKeys() }, { tls: operatorTls, gatewayConfig }),
    );
    const serving = decode(find(desired, 'Secret', 'inference-tls'));
    const notAfter = new X509Certificate(serving['tls.crt'] ?? '').validToDate.getTime() / 1000;
    expect(gauges?.filter((g) => g.gauge === 'tlsSecretExpiry')).toContainEqual({
      gauge: 'tlsSecretExpiry',
      labels: { namespace: 'team', secret: 'inference-tls' },
      value: notAfter,
    });
    expect(find(desired, 'Secret', 'inference-tls')['type']).toBe('kubernetes.io/tls');
    expect(Object.keys(serving).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const files = withTlsMount(desired, serving);
    const snapshot = buildSnapshot({ files, checksum: configChecksum(files) }, {});
    expect(snapshot.gateway.tls).toMatchObject({ enabled: true, clientCertificates: 'required' });
    expect(snapshot.tls?.authorities).toHaveLength(1);
    expect(checksumAnnotation(desired)).toBe(configChecksum(files));

    const client = decode(find(desired, 'Secret', 'inference-tls-client'));
    expect(client['ca.crt']).toBe(serving['ca.crt']);
    const deployment = find(desired, 'Deployment', 'inference-gateway') as unknown as PodSpec;
    const pod = deployment.spec.template.spec;
    expect(pod.volumes.find((v) => v.name === 'tls')?.secret?.secretName).toBe('inference-tls');
    expect(pod.containers[0]?.volumeMounts).toContainEqual({
      name: 'tls',
      mountPath: '/etc/inference/tls',
      readOnly: true,
    });
    expect(pod.containers[0]?.readinessProbe).toMatchObject({ httpGet: { scheme: 'HTTPS' } });
  });

  it("keeps what the Secrets hold on the next pass (nothing re-issued while it's good)", () => {
    const first = reconcileGateway(
      observed({ freshCertificateKeys: freshKeys() }, { tls: operatorTls }),
    ).desired;
    const existingTls = {
      ca: decode(find(first, 'Secret', 'inference-tls-ca')),
      serving: decode(find(first, 'Secret', 'inference-tls')),
      client: decode(find(first, 'Secret', 'inference-tls-client')),
    };
    const second = reconcileGateway(
      observed({ freshCertificateKeys: freshKeys(), existingTls }, { tls: operatorTls }),
    ).desired;
    expect(find(second, 'Secret', 'inference-tls')['data']).toEqual(
      find(first, 'Secret', 'inference-tls')['data'],
    );
    expect(checksumAnnotation(second)).toBe(checksumAnnotation(first));
  });

  it("mounts the user's cert-manager Secret and renders none of its own", () => {
    const ca = createCa('user-ca');
    const leaf = issue(ca, { commonName: 'gw', dns: ['inference-gateway.team.svc'] });
    const secret = { 'tls.crt': leaf.cert, 'tls.key': leaf.key, 'ca.crt': ca.cert };
    const { desired } = reconcileGateway(
      observed(
        { existingTls: { serving: secret } },
        { tls: { kind: 'cert-manager', secretName: 'gateway-cert' } },
      ),
    );
    expect(desired.filter((o) => o.metadata.name.startsWith('inference-tls'))).toEqual([]);
    const pod = (find(desired, 'Deployment', 'inference-gateway') as unknown as PodSpec).spec
      .template.spec;
    expect(pod.volumes.find((v) => v.name === 'tls')?.secret?.secretName).toBe('gateway-cert');
    const files = withTlsMount(desired, secret);
    expect(buildSnapshot({ files, checksum: 'x' }, {}).tls).toBeDefined();
    expect(checksumAnnotation(desired)).toBe(configChecksum(files));
  });

  it('renders plain HTTP by default', () => {
    const { desired } = reconcileGateway(observed());
    const files = mountedFiles(desired);
    expect(buildSnapshot({ files, checksum: 'x' }, {}).tls).toBeUndefined();
    expect(desired.some((o) => o.metadata.name === 'inference-tls')).toBe(false);
  });
});
