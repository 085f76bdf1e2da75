/**
 * The operator's rollout probe (operator/src/runtime/model-probe.ts) against a real model
 * server that serves mTLS with the certificates the operator issues: the gateway CA and client
 * certificate of controllers/certificates.ts, the model server's serving certificate of
 * controllers/inference-model-tls.ts. The probe verifies the pod by its colour's Service name
 * (the endpoint is an IP), presents the gateway's client certificate, and never falls back to
 * plaintext: without the material, with another CA's certificate or under a wrong name it
 * reports what failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModelServer, type ModelServer } from '../../dataplane/src/model-server/server.ts';
import { modelServerSettings } from '../../dataplane/src/model-server/settings.ts';
import {
  decideCertificates,
  type CertificatesDecision,
} from '../../operator/src/controllers/certificates.ts';
import { modelTlsPolicy } from '../../operator/src/controllers/inference-model-tls.ts';
import { freshCertificateKey } from '../../operator/src/pki/fresh-key.ts';
import { modelProber, type ProbeTls } from '../../operator/src/runtime/model-probe.ts';
import { writeVolume } from '../support/kubelet-volume.ts';
import { createCa, issue } from '../support/x509.ts';

const TINY = fileURLToPath(new URL('../../models/tiny', import.meta.url));
const DAY = 24 * 3600_000;
const BLUE = 'model-tiny-blue.team.svc';

const draw = freshCertificateKey;

let gateway: CertificatesDecision;
let tlsDir: string;
let server: ModelServer;
let endpoint: string;

beforeAll(async () => {
  const now = new Date();
  gateway = decideCertificates({
    existing: {},
    names: {
      serving: { commonName: 'inference-gateway', dns: ['inference-gateway.team.svc'] },
      client: {
        commonName: 'inference-client',
        uris: ['spiffe://cluster.local/ns/team/sa/inference-client'],
      },
    },
    fresh: { ca: draw(), serving: draw(), client: draw() },
    now,
    settings: { caLifetimeMs: 90 * DAY, leafLifetimeMs: 9 * DAY, propagationMs: 60_000 },
  });
  const model = modelTlsPolicy({
    namespace: 'team',
    modelName: 'tiny',
    operatorIssues: true,
    ca: gateway.ca,
    existing: undefined,
    fresh: draw(),
    lifetimeMs: 9 * DAY,
    now,
  });
  if (model.files === undefined) throw new Error(model.ready.message);
  tlsDir = await mkdtemp(join(tmpdir(), 'model-probe-tls-'));
  await writeVolume(tlsDir, { ...model.files });
  server = await buildModelServer({
    settings: modelServerSettings({
      MODEL_URI: TINY,
      MODEL_NAME: 'tiny',
      MODEL_TASK: 'chat',
      MODEL_TLS_DIR: tlsDir,
      MODEL_TLS_CLIENT_CERTIFICATES: 'required',
    }),
    defaultMetrics: false,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  endpoint = `127.0.0.1:${String(typeof address === 'object' && address !== null ? address.port : 0)}`;
  await server.start();
}, 120_000);

afterAll(async () => {
  await server.close();
  await rm(tlsDir, { recursive: true, force: true });
});

const probe = modelProber({ endpoints: () => Promise.resolve([endpoint]), timeoutMs: 10_000 });
const gatewayClient = (): ProbeTls => ({
  ca: gateway.client['ca.crt'],
  cert: gateway.client['tls.crt'],
  key: gateway.client['tls.key'],
  serverName: BLUE,
});

describe('the model probe over mTLS', () => {
  it("reads what a pod serves and smoke-tests it with the gateway's client certificate", async () => {
    const result = await probe('team', 'model-tiny-blue', 'tiny', 'v1', gatewayClient());
    expect(result.error).toBeUndefined();
    expect(result.serving).toEqual({ v1: 1 });
    expect(result.smoke).toMatchObject({ ok: true });
    expect(result.smoke?.message).toContain(`from https://${endpoint}`);
  });

  it('fails the smoke request with a client certificate of another CA: the model server refuses it', async () => {
    const stranger = issue(createCa('another-ca'), { commonName: 'x', usages: ['clientAuth'] });
    const result = await probe('team', 'model-tiny-blue', 'tiny', 'v1', {
      ...gatewayClient(),
      cert: stranger.cert,
      key: stranger.key,
    });
    expect(result.smoke).toMatchObject({
      ok: false,
      message: '/v1/chat/completions answered 401 UNAUTHENTICATED',
    });
  });

  it('refuses a pod whose certificate does not name the Service it is asked through', async () => {
    const result = await probe('team', 'model-other-blue', 'tiny', 'v1', {
      ...gatewayClient(),
      serverName: 'model-other-blue.team.svc',
    });
    expect(result.serving).toEqual({});
    expect(result.error).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(result.smoke).toBeUndefined();
  });

  it('refuses a pod whose certificate another CA signed', async () => {
    const result = await probe('team', 'model-tiny-blue', 'tiny', 'v1', {
      ...gatewayClient(),
      ca: createCa('not-the-gateway-ca').cert,
    });
    expect(result.serving).toEqual({});
    expect(result.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/);
  });

  it('asks nothing, in plaintext or otherwise, before the client certificate is issued', async () => {
    const result = await probe('team', 'model-tiny-blue', 'tiny', 'v1', {
      ...gatewayClient(),
      cert: undefined,
      key: undefined,
    });
    expect(result).toEqual({
      endpoints: 0,
      serving: {},
      error:
        'the model serves mTLS and the gateway client certificate (Secret inference-tls-client) is not issued yet',
    });
  });
});
