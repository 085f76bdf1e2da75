// Certificate renewal and CA rotation end to end, under load, on short settings: the operator
// (INFERENCE_TLS=operator) issues the gateway's certificates, renews them at two thirds of
// their 15 s, and rotates its 45 s CA (published at 30 s, signing 1 s later, the old one gone
// 3 s after publication), while two clients call in a loop over fresh connections with the
// client certificate of the moment and one SSE stream runs the whole time. Zero failed
// requests, the stream whole, and a client certificate of the retired CA refused. Outbound
// too: a route's target is an HTTPS upstream that requires client certificates of the
// operator's CA, reached with the gateway's own (`clientCertificate: {gateway: true}`), which
// the operator renews and rotates meanwhile: a third client calls it, with zero failures.
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FakeServer } from '../fakes/fake-server.ts';
import { createOpenAIFake } from '../fakes/openai-fake.ts';
import { call, chat, reason, type Client } from '../security/support.ts';
import { readSse, type SseEvent } from '../support/sse.ts';
import { createCa, issue } from '../support/x509.ts';
import { eventually, resource, startLoop, type Loop } from './loop.ts';
import { condition, getResource } from './resources.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';
const CHUNKS = 340;
const invoke = { ...chat, model: 'chat' };

interface Material {
  cert: string;
  key: string;
  ca: string;
  issuer: string;
}

let loop: Loop;
let port: number;
let token: string;
let material: Material;
const seen: Material[] = [];
let polling = true;
/** The HTTPS upstream; it trusts the operator's CA bundle of the moment. */
let upstream: FakeServer;
const upstreamCa = createCa('upstream-ca');
const upstreamServing = issue(upstreamCa, {
  commonName: 'upstream.test',
  dns: ['upstream.test'],
  usages: ['serverAuth'],
});
const trustBundle = (ca: string) => {
  upstream.setTls({ cert: upstreamServing.cert, key: upstreamServing.key, ca });
};

const servername = () => `inference-gateway.${loop.namespace}.svc`;
const client = (m: Material): Client => ({
  trust: m.ca,
  servername: servername(),
  cert: { cert: m.cert, key: m.key },
});
const cas = (pem: string) =>
  (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).length;

/** The client certificate as a pod mounting inference-tls-client would hold it. */
async function readClient(): Promise<Material> {
  const secret = await loop.core.readNamespacedSecret({
    namespace: loop.namespace,
    name: 'inference-tls-client',
  });
  const text = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  return {
    cert: text('tls.crt'),
    key: text('tls.key'),
    ca: text('ca.crt'),
    issuer: new X509Certificate(text('tls.crt')).issuer,
  };
}

function openStream(m: Material): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpsRequest(
      {
        host: '127.0.0.1',
        port,
        servername: servername(),
        method: 'POST',
        path: '/api/v1/inference:stream',
        ca: m.ca,
        cert: m.cert,
        key: m.key,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'x-request-id': 'tls-rotation-stream',
          'content-type': 'application/json',
        },
      },
      resolve,
    )
      .on('error', reject)
      .end(JSON.stringify({ ...chat, model: 'slow' }));
  });
}

describe.skipIf(clusterOff)('certificate and CA rotation under load', () => {
  beforeAll(async () => {
    const route = (alias: string, model: string) =>
      resource('ProviderRoute', alias, {
        alias,
        targets: [{ name: alias, provider: 'mock', model }],
      });
    upstream = await createOpenAIFake({
      name: 'upstream',
      tls: {
        cert: upstreamServing.cert,
        key: upstreamServing.key,
        ca: upstreamCa.cert,
        requestCert: true,
        rejectUnauthorized: true,
      },
    });
    const upstreamRoute = resource('ProviderRoute', 'upstream', {
      alias: 'upstream',
      retry: { maxAttempts: 1 },
      targets: [
        {
          name: 'upstream',
          provider: 'openai-compatible',
          model: 'gpt-fake',
          baseURL: `${upstream.url}/v1`,
          tls: {
            ca: { secretName: 'upstream-ca' },
            clientCertificate: { gateway: true },
            serverName: 'upstream.test',
          },
        },
      ],
    });
    const upstreamCaSecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'upstream-ca' },
      stringData: { 'ca.crt': upstreamCa.cert },
    };
    loop = await startLoop({
      kubeconfig: inject('kubeconfig'),
      clusterDir: inject('clusterDir'),
      prefix: 'tls-rotation',
      operatorEnv: {
        INFERENCE_TLS: 'operator',
        INFERENCE_TLS_CA_LIFETIME_MS: '45000',
        INFERENCE_TLS_CERTIFICATE_LIFETIME_MS: '15000',
        INFERENCE_RESUME_KEY_PROPAGATION_MS: '1000',
        INFERENCE_GATEWAY_SETTINGS: JSON.stringify({ tls: { clientCertificates: 'required' } }),
      },
      tls: {
        resources: [
          route('chat', 'echo'),
          route('slow', `echo?gapMs=100&chunks=${CHUNKS}`),
          upstreamCaSecret,
          upstreamRoute,
        ],
      },
    });
    const address = loop.app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
    token = await loop.token();
    await eventually(async () => loop.app.services.config.current?.routes.has('slow'), 30_000);
    await eventually(async () => loop.app.services.config.current?.routes.has('upstream'), 30_000);
    material = await eventually(readClient, 30_000);
    trustBundle(material.ca);
    seen.push(material);
    void (async () => {
      while (polling) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const next = await readClient().catch(() => undefined);
        if (next !== undefined && next.cert !== material.cert) {
          if (next.ca !== material.ca) trustBundle(next.ca);
          material = next;
          seen.push(next);
        }
      }
    })();
  }, 120_000);

  afterAll(async () => {
    polling = false;
    await loop.stop();
    await upstream.stop();
  });

  it('fails no request, breaks no stream, and refuses the retired CA', async () => {
    const firstIssuer = material.issuer;
    const response = await openStream(material);
    expect(response.statusCode).toBe(200);
    const events: SseEvent[] = [];
    const streaming = (async () => {
      for await (const event of readSse(Readable.toWeb(response) as ReadableStream<Uint8Array>)) {
        events.push(event);
        if (event.event === 'done' || event.event === 'error') break;
      }
    })();

    const failures: string[] = [];
    const started = Date.now();
    const servers = new Set<string>();
    const issuers = new Set<string>();
    let calls = 0;
    const retired = async () => cas(material.ca) === 1 && material.issuer !== firstIssuer;
    const worker = async () => {
      while (!(await retired())) {
        const answer = await call(port, client(material), {
          path: '/api/v1/inference',
          token,
          body: invoke,
        }).catch((error: unknown) => ({ status: 0, error: String(error) }));
        calls++;
        if (answer.status !== 200) {
          const served = loop.app.services.config.current?.tls;
          failures.push(
            JSON.stringify({
              at: Date.now() - started,
              status: answer.status,
              issuer: 'serverIssuer' in answer ? answer.serverIssuer : '',
              clientIssuer: material.issuer,
              clientCas: cas(material.ca),
              servedCas: served?.authorities.map((a) => a.subject),
              error: loop.app.services.config.status.lastError,
            }),
          );
        }
        if ('serverSerial' in answer) {
          servers.add(answer.serverSerial);
          issuers.add(answer.serverIssuer);
        }
      }
    };
    const outboundFailures: string[] = [];
    let outboundCalls = 0;
    const outbound = async () => {
      while (!(await retired())) {
        const answer = await call(port, client(material), {
          path: '/v1/chat/completions',
          token,
          body: { model: 'upstream', messages: [{ role: 'user', content: 'hello upstream' }] },
        }).catch((error: unknown): { status: number; body: Record<string, unknown> } => ({
          status: 0,
          body: { error: String(error) },
        }));
        outboundCalls++;
        const choices = answer.body['choices'] as { message: { content: string } }[] | undefined;
        if (answer.status !== 200 || choices?.[0]?.message.content !== 'upstream: hello upstream')
          outboundFailures.push(
            JSON.stringify({ at: Date.now() - started, status: answer.status, body: answer.body }),
          );
      }
    };
    await Promise.all([worker(), worker(), outbound()]);
    await streaming;

    expect({ failed: outboundFailures.length, first: outboundFailures.slice(0, 2) }).toEqual({
      failed: 0,
      first: [],
    });
    expect(outboundCalls).toBeGreaterThan(20);
    // The upstream saw the gateway's client certificate renewed, and issued by both CAs.
    const presented = new Set(upstream.requests.map((r) => r.clientCertificateSerial));
    expect(presented.size).toBeGreaterThanOrEqual(3);
    const tlsReady = condition(
      await getResource(loop, 'ProviderRoute', 'upstream'),
      'UpstreamTLSReady',
    );
    expect(tlsReady).toMatchObject({ status: 'True', reason: 'UpstreamTLSResolved' });
    expect(tlsReady?.message).toContain('client certificate (Secret inference-tls-client) expires');

    expect({ failed: failures.length, first: failures.slice(0, 2) }).toEqual({
      failed: 0,
      first: [],
    });
    expect(calls).toBeGreaterThan(20);
    expect(servers.size).toBeGreaterThanOrEqual(3);
    expect(issuers.size).toBe(2);
    const data = events.filter((event) => event.event === 'data');
    expect(events.at(-1)?.event).toBe('done');
    expect(data).toHaveLength(CHUNKS);

    // The last client certificate the old CA signed is still within its validity: refused now
    // because its CA left the bundle, not because it expired.
    const old = seen.filter((m) => m.issuer === firstIssuer).at(-1);
    expect(old).toBeDefined();
    if (old === undefined) return;
    expect(new X509Certificate(old.cert).validToDate.getTime()).toBeGreaterThan(Date.now());
    const refused = await eventually(async () => {
      const answer = await call(
        port,
        { ...client(old), trust: material.ca },
        {
          path: '/api/v1/inference',
          token,
          body: chat,
        },
      );
      return answer.status === 401 ? answer : undefined;
    }, 15_000);
    expect(reason(refused)).toBe('client_certificate_untrusted');
  }, 120_000);
});
