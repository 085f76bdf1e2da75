// The gateway's certificates against the real control plane, the operator running as its own
// ServiceAccount: with INFERENCE_TLS=operator it issues a CA and the serving and client
// certificates into Secrets in cert-manager's layout and mounts the serving one; a certificate
// Secret deleted by hand comes back from the same CA; a lost CA is replaced by one published
// before it signs. With INFERENCE_TLS=cert-manager it mounts the user's Secret and writes none.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { EventsV1Api, type V1Secret } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issue } from '../../tests/support/x509.ts';
import type { OperatorHandle } from '../src/operator.ts';
import {
  apps,
  core,
  createResource,
  deleteClusterRoles,
  deleteNamespaces,
  eventually,
  installCrds,
  isGone,
  kc,
  newNamespace,
  operatorIdentity,
  startTestOperator,
} from './support.ts';

const route = {
  kind: 'ProviderRoute',
  metadata: { name: 'chat' },
  spec: { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
};

const operators: OperatorHandle[] = [];
beforeAll(installCrds);
afterAll(async () => {
  await Promise.allSettled(operators.map((operator) => operator.stop()));
  await deleteNamespaces();
  await deleteClusterRoles();
});

const text = (secret: V1Secret, key: string) =>
  Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
const bundle = (pem: string) =>
  (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
const issuedByOneOf = (leaf: string, cas: X509Certificate[]) =>
  cas.some((ca) => new X509Certificate(leaf).checkIssued(ca));

async function secret(namespace: string, name: string): Promise<V1Secret> {
  return eventually(() => core.readNamespacedSecret({ namespace, name }), 30_000);
}

describe('INFERENCE_TLS=operator', () => {
  let namespace: string;
  beforeAll(async () => {
    namespace = await newNamespace('tls');
    operators.push(
      await startTestOperator([namespace], await operatorIdentity(namespace), {
        INFERENCE_TLS: 'operator',
        INFERENCE_GATEWAY_SETTINGS: JSON.stringify({ tls: { clientCertificates: 'required' } }),
      }),
    );
    await createResource(namespace, route);
  }, 60_000);

  it('issues the CA, the serving and the client certificates in cert-manager layout', async () => {
    const ca = await secret(namespace, 'inference-tls-ca');
    const serving = await secret(namespace, 'inference-tls');
    const client = await secret(namespace, 'inference-tls-client');
    expect([serving.type, client.type]).toEqual(['kubernetes.io/tls', 'kubernetes.io/tls']);
    expect(Object.keys(serving.data ?? {}).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    const cas = bundle(text(serving, 'ca.crt'));
    expect(cas.map((c) => c.fingerprint256)).toEqual([
      new X509Certificate(text(ca, 'tls.crt')).fingerprint256,
    ]);
    const leaf = new X509Certificate(text(serving, 'tls.crt'));
    expect(leaf.subjectAltName).toBe(
      `DNS:inference-gateway, DNS:inference-gateway.${namespace}, DNS:inference-gateway.${namespace}.svc`,
    );
    expect(leaf.checkPrivateKey(createPrivateKey(text(serving, 'tls.key')))).toBe(true);
    expect(new X509Certificate(text(client, 'tls.crt')).subjectAltName).toBe(
      `URI:spiffe://cluster.local/ns/${namespace}/sa/inference-client`,
    );
    expect(serving.metadata?.annotations?.['inference.enis.io/not-after']).toBe(
      leaf.validToDate.toISOString(),
    );
    // The same expiry as a label the API server accepts, so `kubectl get secret -L` shows it.
    expect(serving.metadata?.labels?.['inference.enis.io/not-after']).toBe(
      leaf.validToDate
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z')
        .replace(/[-:]/g, ''),
    );
    expect(serving.metadata?.labels?.['inference.enis.io/renew-at']).toMatch(/^\d{8}T\d{6}Z$/);
  });

  it('records an Event on each Secret it issued, naming what it did', async () => {
    const events = kc.makeApiClient(EventsV1Api);
    const reasons = await eventually(async () => {
      const list = await events.listNamespacedEvent({ namespace });
      const found = list.items.map((e) => `${e.regarding?.name ?? ''}:${e.reason ?? ''}`);
      return found.length >= 3 ? found.sort() : undefined;
    }, 30_000);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'inference-tls-ca:CAIssued',
        'inference-tls-client:CertificateIssued',
        'inference-tls:CertificateIssued',
      ]),
    );
  });

  it('mounts the serving certificate at tls/ and turns TLS on in gateway.yaml', async () => {
    const deployment = await eventually(
      () => apps.readNamespacedDeployment({ namespace, name: 'inference-gateway' }),
      30_000,
    );
    const pod = deployment.spec?.template.spec;
    expect(pod?.volumes?.find((v) => v.name === 'tls')?.secret?.secretName).toBe('inference-tls');
    expect(pod?.containers[0]?.readinessProbe?.httpGet?.scheme).toBe('HTTPS');
    const config = await core.readNamespacedConfigMap({ namespace, name: 'inference-config' });
    const gateway = parse(config.data?.['gateway.yaml'] ?? '') as { tls: object };
    expect(gateway.tls).toMatchObject({ enabled: true, clientCertificates: 'required' });
  });

  it('restores a certificate Secret deleted by hand, signed by the same CA', async () => {
    const ca = text(await secret(namespace, 'inference-tls-ca'), 'tls.crt');
    await core.deleteNamespacedSecret({ namespace, name: 'inference-tls-client' });
    const restored = await eventually(async () => {
      const again = await core.readNamespacedSecret({ namespace, name: 'inference-tls-client' });
      return again.metadata?.deletionTimestamp === undefined ? again : undefined;
    }, 30_000);
    expect(issuedByOneOf(text(restored, 'tls.crt'), bundle(ca))).toBe(true);
  });

  it('replaces a lost CA by one it publishes before it signs, trusting the old meanwhile', async () => {
    const before = await secret(namespace, 'inference-tls');
    const oldCa = text(await secret(namespace, 'inference-tls-ca'), 'tls.crt');
    await core.deleteNamespacedSecret({ namespace, name: 'inference-tls-ca' });
    const replaced = await eventually(async () => {
      const ca = await core.readNamespacedSecret({ namespace, name: 'inference-tls-ca' });
      return ca.data?.['next.crt'] === undefined ? undefined : ca;
    }, 30_000);
    expect(replaced.data?.['tls.crt']).toBeUndefined();
    const serving = await eventually(async () => {
      const now = await core.readNamespacedSecret({ namespace, name: 'inference-tls' });
      return bundle(text(now, 'ca.crt')).length === 2 ? now : undefined;
    }, 30_000);
    // The leaf is the same; the bundle holds the old CA (which signed it) and the new one.
    expect(text(serving, 'tls.crt')).toBe(text(before, 'tls.crt'));
    expect(bundle(text(serving, 'ca.crt')).map((c) => c.fingerprint256)).toContain(
      new X509Certificate(oldCa).fingerprint256,
    );
  });
});

describe('INFERENCE_TLS=cert-manager', () => {
  let namespace: string;
  const ca = createCa('user-ca');
  const leaf = issue(ca, { commonName: 'gateway', dns: ['inference-gateway.svc'] });
  beforeAll(async () => {
    namespace = await newNamespace('certmgr');
    await core.createNamespacedSecret({
      namespace,
      body: {
        metadata: { name: 'gateway-cert' },
        type: 'kubernetes.io/tls',
        stringData: { 'tls.crt': leaf.cert, 'tls.key': leaf.key, 'ca.crt': ca.cert },
      },
    });
    operators.push(
      await startTestOperator([namespace], await operatorIdentity(namespace), {
        INFERENCE_TLS: 'cert-manager',
        INFERENCE_TLS_SECRET: 'gateway-cert',
      }),
    );
    await createResource(namespace, route);
  }, 60_000);

  it("mounts the user's Secret, leaves it as it was and issues nothing", async () => {
    const deployment = await eventually(
      () => apps.readNamespacedDeployment({ namespace, name: 'inference-gateway' }),
      30_000,
    );
    const volume = deployment.spec?.template.spec?.volumes?.find((v) => v.name === 'tls');
    expect(volume?.secret?.secretName).toBe('gateway-cert');
    const user = await core.readNamespacedSecret({ namespace, name: 'gateway-cert' });
    expect(text(user, 'tls.crt')).toBe(leaf.cert);
    expect(user.metadata?.managedFields?.map((f) => f.manager)).not.toContain('inference-operator');
    for (const name of ['inference-tls-ca', 'inference-tls', 'inference-tls-client']) {
      expect(await isGone(core.readNamespacedSecret({ namespace, name }))).toBe(true);
    }
  });
});
