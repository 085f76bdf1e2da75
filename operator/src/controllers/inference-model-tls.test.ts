import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { model, NOW } from '../../test/fixtures.ts';
import type { InferenceModel } from '../../../crds/inference-model.ts';
import { decideCertificates, type CertificatesDecision } from './certificates.ts';
import { reconcileInferenceModel, type InferenceModelObserved } from './inference-model.ts';
import { modelTlsPolicy, type ModelTlsObserved } from './inference-model-tls.ts';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const settings = { caLifetimeMs: 90 * DAY, leafLifetimeMs: 9 * DAY, propagationMs: 2 * HOUR };
const KEYS = Array.from({ length: 6 }, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }));
let drawn = 0;
const draw = () => {
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  return { key: KEYS[drawn++ % KEYS.length]!.privateKey, serial };
};

/** The gateway's certificates as the gateway reconcile issues them at `now`. */
function gatewayCerts(now: Date, previous?: CertificatesDecision): CertificatesDecision {
  return decideCertificates({
    existing:
      previous === undefined
        ? {}
        : { ca: previous.ca, serving: previous.serving, client: previous.client },
    names: {
      serving: { commonName: 'inference-gateway', dns: ['inference-gateway.team.svc'] },
      client: { commonName: 'inference-client', uris: ['spiffe://cluster.local/ns/team/sa/c'] },
    },
    fresh: { ca: draw(), serving: draw(), client: draw() },
    now,
    settings,
  });
}

/** The CA the gateway reconcile issued at NOW. */
const GATEWAY = gatewayCerts(NOW);
const SECOND = 1000;
/** X.509 times are whole seconds. */
const inSeconds = (ms: number) => Math.floor(ms / SECOND) * SECOND;

const observed = (overrides: Partial<ModelTlsObserved> = {}): ModelTlsObserved => ({
  namespace: 'team',
  modelName: 'phi',
  operatorIssues: true,
  ca: GATEWAY.ca,
  existing: undefined,
  fresh: draw(),
  lifetimeMs: settings.leafLifetimeMs,
  now: NOW,
  ...overrides,
});

const cert = (pem: string | undefined) => new X509Certificate(pem ?? '');
const signedBy = (leaf: string | undefined, ca: string | undefined) =>
  cert(leaf).checkIssued(cert(ca)) && cert(leaf).verify(cert(ca).publicKey);

describe('modelTlsPolicy', () => {
  it("issues the model server's certificate from the gateway CA, for the model's and both colours' Services", () => {
    const o = observed();
    const tls = modelTlsPolicy(o);
    expect(tls.ready).toMatchObject({ status: 'True', reason: 'CertificateIssued' });
    expect(signedBy(tls.files?.['tls.crt'], o.ca?.['tls.crt'])).toBe(true);
    expect(cert(tls.files?.['tls.crt']).subjectAltName).toBe(
      ['model-phi', 'model-phi-blue', 'model-phi-green']
        .flatMap((name) => [`DNS:${name}`, `DNS:${name}.team`, `DNS:${name}.team.svc`])
        .join(', '),
    );
    expect(tls.files?.['ca.crt']).toBe(o.ca?.['ca.crt']);
    expect(tls.issued).toMatch(/^Issued the serving certificate/);
    expect(tls.renewAt).toBe(inSeconds(NOW.getTime()) + (settings.leafLifetimeMs * 2) / 3);
  });

  it('keeps a good certificate and renews it at two thirds of its lifetime', () => {
    const first = modelTlsPolicy(observed());
    const later = (ms: number) =>
      modelTlsPolicy(
        observed({ existing: first.files, now: new Date(NOW.getTime() + ms), fresh: draw() }),
      );
    expect(later(5 * DAY).issued).toBeUndefined();
    expect(later(5 * DAY).files?.['tls.crt']).toBe(first.files?.['tls.crt']);
    expect(later(6 * DAY).issued).toBeDefined();
    expect(later(6 * DAY).files?.['tls.crt']).not.toBe(first.files?.['tls.crt']);
  });

  it('is re-issued by a new CA only once that CA signs, and trusts it in ca.crt from its publication', () => {
    let gateway = GATEWAY;
    const first = modelTlsPolicy(observed({ ca: gateway.ca }));
    // Two thirds into the CA's life a new CA is published: in the bundle, not signing yet.
    const published = new Date(NOW.getTime() + 61 * DAY);
    gateway = gatewayCerts(published, gateway);
    expect(gateway.ca['next.crt']).toBeDefined();
    const during = modelTlsPolicy(
      observed({ ca: gateway.ca, existing: first.files, now: published, fresh: draw() }),
    );
    expect(during.files?.['ca.crt']).toContain(gateway.ca['next.crt']);
    // It was renewed on the way (61 days): by the old CA, which still signs.
    expect(signedBy(during.files?.['tls.crt'], gateway.ca['tls.crt'])).toBe(true);
    const activated = new Date(published.getTime() + settings.propagationMs + 2 * SECOND);
    gateway = gatewayCerts(activated, gateway);
    const after = modelTlsPolicy(
      observed({ ca: gateway.ca, existing: during.files, now: activated, fresh: draw() }),
    );
    expect(after.issued).toBeDefined();
    expect(signedBy(after.files?.['tls.crt'], gateway.ca['tls.crt'])).toBe(true);
    expect(signedBy(after.files?.['tls.crt'], first.files?.['ca.crt'])).toBe(false);
  });

  it('waits, saying why, while the operator keeps no CA or has not issued it', () => {
    expect(modelTlsPolicy(observed({ operatorIssues: false }))).toMatchObject({
      ready: { status: 'False', reason: 'OperatorIssuesNoCertificates' },
      files: undefined,
    });
    expect(modelTlsPolicy(observed({ ca: undefined }))).toMatchObject({
      ready: { status: 'False', reason: 'CANotIssued' },
      files: undefined,
    });
  });
});

describe('reconcileInferenceModel with spec.tls', () => {
  const tlsModel = (): InferenceModel => {
    const m = model('phi');
    return { ...m, metadata: { ...m.metadata, namespace: 'team' }, spec: { ...m.spec, tls: {} } };
  };
  const observe = (m: InferenceModel, tls: ModelTlsObserved): InferenceModelObserved => ({
    model: m,
    colors: {},
    probes: {},
    settings: { image: 'dataplane:1', imagePullPolicy: 'IfNotPresent' },
    tls,
    now: NOW,
  });

  it('renders the Secret with its expiry labels, the Deployments serving mTLS from it, and an https endpoint', () => {
    const result = reconcileInferenceModel(observe(tlsModel(), observed()));
    const secret = result.desired.find((o) => o.kind === 'Secret') as unknown as {
      metadata: { name: string; labels: Record<string, string> };
      type: string;
      data: Record<string, string>;
    };
    expect(secret.metadata.name).toBe('model-phi-tls');
    expect(secret.type).toBe('kubernetes.io/tls');
    expect(Object.keys(secret.data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    // NOW is 2026-03-18T10:20:30Z; the certificate lives 9 days and is renewed after 6.
    expect(secret.metadata.labels).toMatchObject({
      'inference.enis.io/not-after': '20260327T102030Z',
      'inference.enis.io/renew-at': '20260324T102030Z',
    });
    const deployment = result.desired.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: {
            volumes: { name: string; secret?: { secretName: string } }[];
            containers: { env: { name: string; value?: string }[] }[];
          };
        };
      };
    };
    const pod = deployment.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'model-tls',
      secret: { secretName: 'model-phi-tls' },
    });
    expect(pod.containers[0]?.env).toContainEqual({
      name: 'MODEL_TLS_CLIENT_CERTIFICATES',
      value: 'required',
    });
    expect(result.status?.endpoint).toBe('https://model-phi.team.svc:8080/v1');
    expect(result.status?.conditions?.find((c) => c.type === 'TLSReady')?.status).toBe('True');
    expect(result.events?.map((e) => e.reason)).toEqual(['CertificateIssued']);
    expect(result.gauges).toContainEqual({
      gauge: 'tlsSecretExpiry',
      labels: { namespace: 'team', secret: 'model-phi-tls' },
      value: Date.parse('2026-03-27T10:20:30Z') / 1000,
    });
    expect(result.requeueAfterMs).toBeLessThanOrEqual(6 * DAY);
  });

  it('still renders the Deployments with TLS while no certificate can be issued: never plaintext, not Ready', () => {
    const result = reconcileInferenceModel(observe(tlsModel(), observed({ ca: undefined })));
    expect(result.desired.some((o) => o.kind === 'Secret')).toBe(false);
    expect(JSON.stringify(result.desired)).toContain('MODEL_TLS_DIR');
    expect(result.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'CANotIssued',
    });
  });
});
