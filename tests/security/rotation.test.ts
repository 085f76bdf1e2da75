import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { readSse, type SseEvent } from '../support/sse.ts';
import { createCa, issue, type Issued } from '../support/x509.ts';
import {
  call,
  chat,
  reason,
  SERVER_NAME,
  startTlsDataplane,
  type Client,
  type TlsDataplane,
} from './support.ts';

const routes = {
  routes: [
    { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
    {
      alias: 'slow',
      targets: [{ name: 'slow', provider: 'mock', model: 'echo?gapMs=60&chunks=40' }],
    },
  ],
};

let dp: TlsDataplane;
let token: string;
let client: Client;

beforeAll(async () => {
  dp = await startTlsDataplane({ clientCertificates: 'required' }, routes);
  token = await dp.config.token();
  client = {
    trust: dp.ca.cert,
    cert: issue(dp.ca, { commonName: 'app', uris: ['spiffe://t/app'] }),
  };
});
afterAll(() => dp.close());

/** The served config checksum, read over TLS without a certificate (readyz needs none). */
async function readyz(): Promise<Record<string, unknown>> {
  return (await call(dp.port, { trust: dp.ca.cert }, { path: '/readyz' })).body;
}

/** Writes tls/ and waits until the dataplane has taken (or refused) it. */
async function rotate(files: { cert: string; key: string; ca: string }): Promise<void> {
  const before = await readyz();
  await dp.writeTls(files);
  await eventually(async () => {
    const after = await readyz();
    return (
      after['config_checksum'] !== before['config_checksum'] ||
      (after['config_error'] !== null && after['config_error'] !== before['config_error'])
    );
  });
}

async function metric(name: string): Promise<number | undefined> {
  const text = (await fetchMetrics()).split('\n').find((line) => line.startsWith(name));
  return text === undefined ? undefined : Number(text.slice(name.length).trim());
}

async function fetchMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    httpsRequest(
      {
        host: '127.0.0.1',
        port: dp.port,
        servername: SERVER_NAME,
        path: '/metrics',
        ca: dp.ca.cert,
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          resolve(text);
        });
      },
    )
      .on('error', reject)
      .end();
  });
}

/** Opens an SSE stream of the slow model with the client's certificate. */
function openStream(cert: Issued): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    httpsRequest(
      {
        host: '127.0.0.1',
        port: dp.port,
        servername: SERVER_NAME,
        method: 'POST',
        path: '/api/v1/inference:stream',
        ca: dp.ca.cert,
        cert: cert.cert,
        key: cert.key,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          'x-request-id': 'rotation-stream',
          'content-type': 'application/json',
        },
      },
      resolve,
    )
      .on('error', reject)
      .end(JSON.stringify({ ...chat, model: 'slow' }));
  });
}

describe('a certificate rotation', () => {
  it('keeps an open SSE stream whole while new connections get the new certificate', async () => {
    const response = await openStream(client.cert as Issued);
    expect(response.statusCode).toBe(200);
    const events: SseEvent[] = [];
    const reading = (async () => {
      for await (const event of readSse(Readable.toWeb(response) as ReadableStream<Uint8Array>)) {
        events.push(event);
        if (event.event === 'done' || event.event === 'error') break;
      }
    })();
    await eventually(async () => events.some((event) => event.event === 'data'));

    const next = issue(dp.ca, {
      commonName: 'gateway',
      dns: [SERVER_NAME],
      usages: ['serverAuth'],
    });
    await rotate({ cert: next.cert, key: next.key, ca: dp.ca.cert });
    const fresh = await call(dp.port, client, { path: '/api/v1/inference', token, body: chat });
    expect([fresh.status, fresh.serverSerial]).toEqual([200, next.serial]);
    expect(events.at(-1)?.event).toBe('data');

    await reading;
    const data = events.filter((event) => event.event === 'data');
    expect(events.at(-1)?.event).toBe('done');
    expect(data).toHaveLength(40);
    expect(data.map((event) => Number(event.id))).toEqual(
      [...data.keys()].map((index) => Number(data[0]?.id) + index),
    );
    dp.serving = next;
  });

  it('refuses a key that does not match, and keeps serving the old pair', async () => {
    const refusedBefore = (await metric('inference_config_reloads_total{result="refused"}')) ?? 0;
    const next = issue(dp.ca, { commonName: 'gateway', dns: [SERVER_NAME] });
    const other = issue(dp.ca, { commonName: 'other' });
    await rotate({ cert: next.cert, key: other.key, ca: dp.ca.cert });
    const status = await readyz();
    expect(status['status']).toBe('ready');
    expect(status['config_error']).toMatch(/tls\/tls\.key: does not match the certificate/);
    expect(await metric('inference_config_reloads_total{result="refused"}')).toBe(
      refusedBefore + 1,
    );
    const answer = await call(dp.port, client, { path: '/api/v1/inference', token, body: chat });
    expect([answer.status, answer.serverSerial]).toEqual([200, dp.serving.serial]);
  });

  it('refuses an expired serving certificate the same way', async () => {
    const expired = issue(dp.ca, {
      commonName: 'gateway',
      dns: [SERVER_NAME],
      notBefore: new Date(Date.now() - 48 * 3600_000),
      notAfter: new Date(Date.now() - 3600_000),
    });
    await rotate({ cert: expired.cert, key: expired.key, ca: dp.ca.cert });
    expect((await readyz())['config_error']).toMatch(/tls\/tls\.crt: expired at/);
    const answer = await call(dp.port, client, { path: '/api/v1/inference', token, body: chat });
    expect(answer.serverSerial).toBe(dp.serving.serial);
  });

  it('publishes the expiry of the serving certificate and of the CA bundle', async () => {
    const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + 30 * 24 * 3600_000);
    const next = issue(dp.ca, { commonName: 'gateway', dns: [SERVER_NAME], notAfter });
    await rotate({ cert: next.cert, key: next.key, ca: dp.ca.cert });
    dp.serving = next;
    const serving = 'inference_tls_certificate_expiry_timestamp_seconds{certificate="serving"}';
    expect(await metric(serving)).toBe(notAfter.getTime() / 1000);
    const ca = await metric('inference_tls_certificate_expiry_timestamp_seconds{certificate="ca"}');
    expect(ca).toBeGreaterThan(Date.now() / 1000);
    expect((await readyz())['tls']).toMatchObject({ serving_not_after: notAfter.toISOString() });
  });
});

describe('a CA rotation', () => {
  it('accepts both CAs during the overlap and refuses the old one once retired, on open connections too', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const old: Client = { ...client, agent };
    const newCa = createCa('inference-test-ca-2');
    const renewed: Client = { trust: dp.ca.cert, cert: issue(newCa, { commonName: 'app' }) };
    const invoke = (who: Client) =>
      call(dp.port, who, { path: '/api/v1/inference', token, body: chat });

    expect((await invoke(old)).status).toBe(200);
    await rotate({ cert: dp.serving.cert, key: dp.serving.key, ca: dp.ca.cert + newCa.cert });
    const overlap = await invoke(old);
    expect([overlap.status, overlap.reusedSocket]).toEqual([200, true]);
    expect((await invoke(renewed)).status).toBe(200);

    await rotate({ cert: dp.serving.cert, key: dp.serving.key, ca: newCa.cert });
    const retired = await invoke(old);
    expect([retired.status, reason(retired), retired.reusedSocket]).toEqual([
      401,
      'client_certificate_untrusted',
      true,
    ]);
    const reconnected = await invoke({ trust: dp.ca.cert, cert: client.cert as Issued });
    expect([reconnected.status, reason(reconnected)]).toEqual([
      401,
      'client_certificate_untrusted',
    ]);
    expect((await invoke(renewed)).status).toBe(200);
    agent.destroy();
  });
});
