/**
 * Outbound mTLS against a real HTTPS upstream: the OpenAI fake serving TLS and requiring client
 * certificates from a CA the test makes. The gateway passes with the target's certificate;
 * without one, with a certificate of another CA, or verifying the wrong server name it fails in
 * the closed vocabulary and the chain falls back to the next target; a client certificate
 * rotated while requests and a stream run fails none of them.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import type { FakeServer, Reply } from '../fakes/fake-server.ts';
import { createAnthropicFake } from '../fakes/anthropic-fake.ts';
import { chatStream, createOpenAIFake } from '../fakes/openai-fake.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { eventually } from '../support/eventually.ts';
import { writeVolume } from '../support/kubelet-volume.ts';
import { createCa, issue, type Issued } from '../support/x509.ts';

const UPSTREAM_NAME = 'upstream.test';
const CHAT = '/v1/chat/completions';

let upstreamCa: Issued;
let clientCa: Issued;
let client: Issued;
let otherClient: Issued;
let secure: FakeServer;
let backup: FakeServer;
let claude: FakeServer;
let config: ConfigDir;
let app: FastifyInstance;
let token: string;

/** `upstream-tls/` as the operator renders it, written the way kubelet swaps a volume. */
let upstreamFiles: Record<string, string> = {};
const writeUpstreamTls = (files: Record<string, string>) => {
  upstreamFiles = files;
  return writeVolume(join(config.dir, 'upstream-tls'), files);
};

beforeAll(async () => {
  upstreamCa = createCa('upstream-ca');
  clientCa = createCa('gateway-client-ca');
  const serving = issue(upstreamCa, {
    commonName: UPSTREAM_NAME,
    dns: [UPSTREAM_NAME],
    usages: ['serverAuth'],
  });
  client = issue(clientCa, { commonName: 'gateway', usages: ['clientAuth'] });
  otherClient = issue(createCa('another-ca'), { commonName: 'gateway', usages: ['clientAuth'] });
  const mtls = {
    cert: serving.cert,
    key: serving.key,
    ca: clientCa.cert,
    requestCert: true,
    rejectUnauthorized: true,
  };
  claude = await createAnthropicFake({ tls: mtls });
  [secure, backup] = await Promise.all([
    createOpenAIFake({
      name: 'secure',
      tls: {
        cert: serving.cert,
        key: serving.key,
        ca: clientCa.cert,
        requestCert: true,
        rejectUnauthorized: true,
      },
    }),
    createOpenAIFake({ name: 'backup' }),
  ]);
  const target = (name: string, tls: object) => ({
    name,
    provider: 'openai-compatible',
    model: 'gpt-fake',
    baseURL: `${secure.url}/v1`,
    tls,
  });
  const fallback = {
    name: 'backup',
    provider: 'openai-compatible',
    model: 'gpt-fake',
    baseURL: `${backup.url}/v1`,
  };
  const ca = { secretName: 'upstream-ca' };
  const withCert = {
    ca,
    clientCertificate: { secretName: 'gateway-client' },
    serverName: UPSTREAM_NAME,
  };
  const once = { maxAttempts: 1 };
  config = await makeConfigDir({
    gateway: { safety: { sanitize: false, pii: 'off', piiOutput: 'off' } },
    prompts: false,
    routes: {
      routes: [
        { alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] },
        { alias: 'mtls', targets: [target('secure', withCert), fallback], retry: once },
        {
          alias: 'no-certificate',
          targets: [target('secure', { ca, serverName: UPSTREAM_NAME }), fallback],
          retry: once,
        },
        {
          alias: 'another-ca',
          targets: [
            target('secure', { ...withCert, clientCertificate: { secretName: 'other-client' } }),
            fallback,
          ],
          retry: once,
        },
        {
          alias: 'wrong-name',
          targets: [target('secure', { ...withCert, serverName: 'elsewhere.test' }), fallback],
          retry: once,
        },
        {
          alias: 'untrusted-server',
          targets: [
            target('secure', {
              clientCertificate: withCert.clientCertificate,
              serverName: UPSTREAM_NAME,
            }),
            fallback,
          ],
          retry: once,
        },
        {
          alias: 'claude',
          retry: once,
          targets: [
            {
              name: 'claude',
              provider: 'anthropic',
              model: 'claude-fake',
              baseURL: claude.url,
              credentials: { secretKeyRef: { name: 'anthropic', key: 'api-key' } },
              tls: withCert,
            },
          ],
        },
        {
          alias: 'no-certificate-alone',
          targets: [target('secure', { ca, serverName: UPSTREAM_NAME })],
          retry: once,
        },
      ],
    },
  });
  await writeUpstreamTls({
    'upstream-ca__ca.crt': upstreamCa.cert,
    'gateway-client__tls.crt': client.cert,
    'gateway-client__tls.key': client.key,
    'other-client__tls.crt': otherClient.cert,
    'other-client__tls.key': otherClient.key,
  });
  await config.write('credentials/anthropic__api-key', 'sk-ant-test');
  app = await buildApp({ configDirs: [config.dir], defaultMetrics: false });
  token = await config.token();
});

afterAll(async () => {
  await app.close();
  await Promise.all([secure.stop(), backup.stop(), claude.stop(), config.cleanup()]);
});

beforeEach(() => {
  secure.reset();
  backup.reset();
});

async function ask(model: string, content = 'hello upstream', stream = false) {
  const response = await app.inject({
    method: 'POST',
    url: CHAT,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: { model, stream, messages: [{ role: 'user', content }] },
  });
  return response;
}

const answerOf = (body: string) =>
  (JSON.parse(body) as { choices: { message: { content: string } }[] }).choices[0]?.message.content;

describe('a target with outbound mTLS', () => {
  it('is served over TLS with the configured client certificate', async () => {
    const response = await ask('mtls');
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body)).toBe('secure: hello upstream');
    expect(secure.seen(CHAT).map((r) => r.clientCertificateSerial)).toEqual([client.serial]);
    expect(backup.requests).toHaveLength(0);
  });

  it("serves an Anthropic target through the official SDK on the target's own fetch", async () => {
    const response = await ask('claude');
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body)).toBe('anthropic: hello upstream');
    expect(claude.requests.map((r) => r.clientCertificateSerial)).toEqual([client.serial]);
  });

  it.each([
    ['without a client certificate', 'no-certificate'],
    ['with a certificate of another CA', 'another-ca'],
    ['verifying a server name the upstream does not carry', 'wrong-name'],
    ["trusting the system's CAs instead of the upstream's", 'untrusted-server'],
  ])('fails %s, and the chain falls back to the next target', async (_case, alias) => {
    const response = await ask(alias);
    expect(response.statusCode).toBe(200);
    expect(answerOf(response.body)).toBe('backup: hello upstream');
    expect(secure.seen(CHAT)).toHaveLength(0);
    expect(backup.seen(CHAT)).toHaveLength(1);
  });

  it('answers a failed handshake in the closed vocabulary when no target is left', async () => {
    const response = await ask('no-certificate-alone');
    const body = JSON.parse(response.body) as { error: { code: string } };
    expect(body.error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(response.statusCode).toBe(502);
  });
});

describe('a client certificate rotated while requests run', () => {
  it('fails no request, keeps an open stream whole, and new connections present the new certificate', async () => {
    const renewed = issue(clientCa, { commonName: 'gateway', usages: ['clientAuth'] });
    const words = Array.from({ length: 12 }, (_, i) => (i === 0 ? 'w0' : ` w${i}`));
    const slow = chatStream(words) as Extract<Reply, { kind: 'sse' }>;
    secure.script(CHAT, { ...slow, gapMs: 100 });
    const stream = ask('mtls', 'a slow stream', true);
    await eventually(async () => secure.seen(CHAT).length === 1);

    const failures: string[] = [];
    let answered = 0;
    let running = true;
    const loop = async () => {
      while (running) {
        const response = await ask('mtls', 'during rotation');
        if (response.statusCode === 200 && answerOf(response.body) === 'secure: during rotation')
          answered++;
        else failures.push(`${response.statusCode} ${response.body}`);
      }
    };
    const loops = [loop(), loop(), loop()];
    await eventually(async () => answered >= 10);
    await writeUpstreamTls({
      ...upstreamFiles,
      'gateway-client__tls.crt': renewed.cert,
      'gateway-client__tls.key': renewed.key,
    });
    const seenAfter = secure.requests.length;
    await eventually(async () =>
      secure.requests.slice(seenAfter).some((r) => r.clientCertificateSerial === renewed.serial),
    );
    const answeredAtSwap = answered;
    await eventually(async () => answered >= answeredAtSwap + 10);
    running = false;
    await Promise.all(loops);

    const streamed = await stream;
    expect(streamed.statusCode).toBe(200);
    const text = streamed.body
      .split('\n\n')
      .filter((frame) => frame.startsWith('data: {'))
      .map(
        (frame) =>
          (JSON.parse(frame.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]
            ?.delta.content ?? '',
      )
      .join('');
    expect(text).toBe(words.join(''));
    expect(failures).toEqual([]);
    expect(backup.requests).toHaveLength(0);
    const serials = new Set(secure.requests.map((r) => r.clientCertificateSerial));
    expect(serials).toEqual(new Set([client.serial, renewed.serial]));
    // The last requests all went out with the renewed certificate.
    expect(secure.requests.at(-1)?.clientCertificateSerial).toBe(renewed.serial);
  });
});

describe('upstream TLS material that cannot serve', () => {
  it('is refused like any invalid config: /readyz names the target, the served material stays', async () => {
    const before = await app.inject({ method: 'GET', url: '/readyz' });
    const served = (JSON.parse(before.body) as { config_checksum: string }).config_checksum;
    await writeUpstreamTls({ ...upstreamFiles, 'gateway-client__tls.key': otherClient.key });
    const error = await eventually(async () => {
      const status = JSON.parse((await app.inject({ method: 'GET', url: '/readyz' })).body) as {
        config_error: string | null;
        config_checksum: string;
      };
      return status.config_error ?? undefined;
    });
    expect(error).toMatch(
      /target secure: tls: upstream-tls\/gateway-client__tls\.key does not match/,
    );
    const status = JSON.parse((await app.inject({ method: 'GET', url: '/readyz' })).body) as {
      config_checksum: string;
    };
    expect(status.config_checksum).toBe(served);
    const response = await ask('mtls');
    expect(answerOf(response.body)).toBe('secure: hello upstream');
  });
});
