// JWKS rotation end to end, under load, with no restart: an issuer serves its JWKS on a local
// URL that the operator fetches every second; it publishes a second key, signs with it once the
// dataplane has it, and withdraws the first. Requests run the whole time with a token of the
// key the issuer signs with, and an SSE stream opened with the first key's token runs across:
// zero failed requests, the stream whole, and the first key's tokens refused once its
// retention (1 s + P of 1 s here) is over.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readSse, type SseEvent } from '../support/sse.ts';
import { AUDIENCE, eventually, ISSUER, resource, SCOPES, startLoop, type Loop } from './loop.ts';

const clusterOff = process.env['INFERENCE_TEST_CLUSTER'] === 'off';
const CHUNKS = 120;

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: object;
}

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}

const sign = (key: Key) =>
  new SignJWT({ tenant: 'acme', scope: SCOPES.join(' ') })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('jwks-e2e')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key.privateKey);

let loop: Loop;
let issuer: Server;
let published: Key[] = [];

/** The kids of the JWKS the dataplane verifies with now. */
const served = (): string[] =>
  (loop.app.services.config.current?.jwks.keys ?? []).map((key) =>
    String((key as { kid?: string }).kid),
  );

describe.skipIf(clusterOff)('JWKS rotation at the issuer', () => {
  let first: Key;
  let second: Key;
  beforeAll(async () => {
    first = await newKey('issuer-1');
    second = await newKey('issuer-2');
    published = [first];
    issuer = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: published.map((key) => key.jwk) }));
    });
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    const address = issuer.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    loop = await startLoop({
      kubeconfig: inject('kubeconfig'),
      clusterDir: inject('clusterDir'),
      prefix: 'jwks-rotation',
      operatorEnv: {
        INFERENCE_AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
        INFERENCE_AUTH_JWKS_REFRESH_MS: '1000',
        INFERENCE_AUTH_JWKS_RETENTION_MS: '1000',
        INFERENCE_RESUME_KEY_PROPAGATION_MS: '1000',
      },
    });
    await loop.apply([
      resource('ProviderRoute', 'chat', {
        alias: 'chat',
        targets: [{ name: 'echo', provider: 'mock', model: 'echo' }],
      }),
      resource('ProviderRoute', 'slow', {
        alias: 'slow',
        targets: [{ name: 'slow', provider: 'mock', model: `echo?gapMs=100&chunks=${CHUNKS}` }],
      }),
    ]);
    await eventually(
      async () =>
        served().join() === 'issuer-1' &&
        loop.app.services.config.current?.routes.has('slow') === true,
      30_000,
    );
  }, 120_000);

  afterAll(async () => {
    await loop.stop();
    await new Promise((resolve) => issuer.close(resolve));
  });

  it('fails no request while the key rotates, and refuses the withdrawn key after its retention', async () => {
    const firstToken = await sign(first);
    const secondToken = await sign(second);
    const body = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };
    const stream = await loop.post(
      '/api/v1/inference:stream',
      { ...body, model: 'slow' },
      firstToken,
    );
    expect(stream.status).toBe(200);
    const events: SseEvent[] = [];
    const streaming = (async () => {
      for await (const event of readSse(stream.body as ReadableStream<Uint8Array>)) {
        events.push(event);
        if (event.event === 'done' || event.event === 'error') break;
      }
    })();

    let signing = firstToken;
    let running = true;
    const failures: string[] = [];
    let calls = 0;
    const worker = async () => {
      while (running) {
        const response = await loop.post('/api/v1/inference', body, signing);
        calls++;
        if (response.status !== 200) failures.push(`${response.status} ${await response.text()}`);
        else await response.arrayBuffer();
      }
    };
    const workers = [worker(), worker()];

    // The issuer publishes its next key, and signs with it only once the gateway has it.
    published = [first, second];
    await eventually(async () => served().includes('issuer-2'), 30_000, 50);
    signing = secondToken;
    published = [second];
    const withdrawnAt = Date.now();
    // Retained: the first key's tokens still verify for its retention.
    expect((await loop.post('/api/v1/inference', body, firstToken)).status).toBe(200);
    await eventually(async () => !served().includes('issuer-1'), 30_000, 50);
    running = false;
    await Promise.all(workers);
    await streaming;

    expect({ failed: failures.length, first: failures.slice(0, 2) }).toEqual({
      failed: 0,
      first: [],
    });
    expect(calls).toBeGreaterThan(10);
    expect(Date.now() - withdrawnAt).toBeGreaterThanOrEqual(2000);
    expect(events.filter((event) => event.event === 'data')).toHaveLength(CHUNKS);
    expect(events.at(-1)?.event).toBe('done');
    const refused = await loop.post('/api/v1/inference', body, firstToken);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { details: { reason: 'unknown_key' } } });
  }, 120_000);
});
