/**
 * A model server serving TLS with client certificates from the gateway's CA (MODEL_TLS_DIR),
 * and the gateway reaching it with its client certificate: a `local` target at https with
 * `tls`. The model server refuses a caller without a certificate or with another CA's in the
 * closed vocabulary, its probes need none, and a renewed serving certificate is served to new
 * connections without a restart.
 */
import { request as httpsRequest } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { buildModelServer, type ModelServer } from '../../dataplane/src/model-server/server.ts';
import { modelServerSettings } from '../../dataplane/src/model-server/settings.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { eventually } from '../support/eventually.ts';
import { writeVolume } from '../support/kubelet-volume.ts';
import { createCa, issue, type Issued } from '../support/x509.ts';

const TINY = fileURLToPath(new URL('../../models/tiny', import.meta.url));
const NAME = 'tiny.team.svc';

let ca: Issued;
let client: Issued;
let stranger: Issued;
let tlsDir: string;
let server: ModelServer;
let port: number;
let config: ConfigDir;
let gateway: FastifyInstance;

beforeAll(async () => {
  ca = createCa('gateway-ca');
  const serving = issue(ca, { commonName: NAME, dns: [NAME], usages: ['serverAuth'] });
  client = issue(ca, {
    commonName: 'inference-client',
    uris: ['spiffe://cluster.local/ns/team/sa/inference-client'],
    usages: ['clientAuth'],
  });
  stranger = issue(createCa('another-ca'), { commonName: 'x', usages: ['clientAuth'] });
  tlsDir = await mkdtemp(join(tmpdir(), 'model-tls-'));
  await writeVolume(tlsDir, { 'tls.crt': serving.cert, 'tls.key': serving.key, 'ca.crt': ca.cert });
  server = await buildModelServer({
    settings: modelServerSettings({
      MODEL_URI: TINY,
      MODEL_NAME: 'tiny',
      MODEL_TASK: 'chat',
      MODEL_TLS_DIR: tlsDir,
    }),
    defaultMetrics: false,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  await server.start();

  config = await makeConfigDir({
    gateway: { safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
    prompts: false,
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        {
          alias: 'tiny',
          retry: { maxAttempts: 1 },
          targets: [
            {
              name: 'tiny',
              provider: 'local',
              model: 'tiny',
              baseURL: `https://127.0.0.1:${port}/v1`,
              tls: {
                ca: { gateway: true },
                clientCertificate: { gateway: true },
                serverName: NAME,
              },
            },
          ],
        },
        {
          alias: 'tiny-without-certificate',
          retry: { maxAttempts: 1 },
          targets: [
            {
              name: 'tiny',
              provider: 'local',
              model: 'tiny',
              baseURL: `https://127.0.0.1:${port}/v1`,
              tls: { ca: { gateway: true }, serverName: NAME },
            },
          ],
        },
      ],
    },
  });
  await config.write('upstream-tls/gateway-ca.crt', ca.cert);
  await config.write('upstream-tls/gateway-client.crt', client.cert);
  await config.write('upstream-tls/gateway-client.key', client.key);
  gateway = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
}, 120_000);

afterAll(async () => {
  await gateway.close();
  await server.close();
  await config.cleanup();
  await rm(tlsDir, { recursive: true, force: true });
});

/** One request to the model server on a fresh connection. */
function call(path: string, cert?: Issued) {
  return new Promise<{ status: number; body: Record<string, unknown>; serverSerial: string }>(
    (resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          servername: NAME,
          ca: ca.cert,
          agent: false,
          ...(cert === undefined ? {} : { cert: cert.cert, key: cert.key }),
        },
        (res) => {
          const serverSerial = (res.socket as TLSSocket).getPeerCertificate().serialNumber;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(text) as Record<string, unknown>,
              serverSerial,
            });
          });
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
}

const reasonOf = (body: Record<string, unknown>) =>
  (body['error'] as { details?: { reason?: string } } | undefined)?.details?.reason;

describe('a model server with MODEL_TLS_DIR', () => {
  it('answers a caller with a certificate of its CA', async () => {
    const answer = await call('/v1/models', client);
    expect(answer.status).toBe(200);
    expect(JSON.stringify(answer.body)).toContain('tiny');
  });

  it('refuses a caller without a certificate, or with one of another CA, in the closed vocabulary', async () => {
    const without = await call('/v1/models');
    expect(without.status).toBe(401);
    expect(reasonOf(without.body)).toBe('client_certificate_missing');
    const foreign = await call('/v1/models', stranger);
    expect(foreign.status).toBe(401);
    expect(reasonOf(foreign.body)).toBe('client_certificate_untrusted');
  });

  it('serves its probes without a client certificate', async () => {
    expect((await call('/readyz')).status).toBe(200);
    expect((await call('/livez')).status).toBe(200);
  });

  it('serves a renewed certificate to new connections without a restart', async () => {
    const renewed = issue(ca, { commonName: NAME, dns: [NAME], usages: ['serverAuth'] });
    await writeVolume(tlsDir, {
      'tls.crt': renewed.cert,
      'tls.key': renewed.key,
      'ca.crt': ca.cert,
    });
    await eventually(async () => (await call('/livez')).serverSerial === renewed.serial);
    expect((await call('/v1/models', client)).status).toBe(200);
  });
});

describe('the gateway reaching a model server over mTLS', () => {
  const ask = (model: string) =>
    gateway.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { model, max_tokens: 8, messages: [{ role: 'user', content: 'hello' }] },
    });
  let token: string;
  beforeAll(async () => {
    token = await config.token();
  });

  it("answers through the gateway's client certificate", async () => {
    const response = await ask('tiny');
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
  });

  it('fails in the closed vocabulary without it: the model server refuses the call (401), UPSTREAM_AUTH', async () => {
    const response = await ask('tiny-without-certificate');
    const body = JSON.parse(response.body) as { error: { code: string } };
    expect(body.error.code).toBe('UPSTREAM_AUTH');
  });
});
