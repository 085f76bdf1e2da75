import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issue, type Issued } from '../support/x509.ts';
import { call, chat, code, reason, startTlsDataplane, type TlsDataplane } from './support.ts';

const CHAT_CLIENT = 'spiffe://cluster.local/ns/apps/sa/chat';
const DAY = 24 * 3600_000;

describe('a dataplane that requires client certificates', () => {
  let dp: TlsDataplane;
  let token: string;
  beforeAll(async () => {
    dp = await startTlsDataplane({
      clientCertificates: 'required',
      clientIdentities: {
        'inference:invoke': ['spiffe://cluster.local/ns/apps/*', 'batch-worker'],
      },
    });
    token = await dp.config.token();
  });
  afterAll(() => dp.close());

  const client = (uris = [CHAT_CLIENT]) => ({
    trust: dp.ca.cert,
    cert: issue(dp.ca, { commonName: 'chat', uris, usages: ['clientAuth'] }),
  });

  it('serves a client with a valid certificate and token', async () => {
    const answer = await call(dp.port, client(), { path: '/api/v1/inference', token, body: chat });
    expect(answer.status).toBe(200);
    expect(answer.serverSerial).toBe(dp.serving.serial);
  });

  it('refuses a client without a certificate, before looking at its token', async () => {
    const answer = await call(
      dp.port,
      { trust: dp.ca.cert },
      { path: '/api/v1/inference', token, body: chat },
    );
    expect([answer.status, code(answer), reason(answer)]).toEqual([
      401,
      'UNAUTHENTICATED',
      'client_certificate_missing',
    ]);
  });

  it('refuses a certificate from another CA', async () => {
    const other = createCa('someone-else');
    const cert = issue(other, { commonName: 'chat', uris: [CHAT_CLIENT] });
    const answer = await call(
      dp.port,
      { trust: dp.ca.cert, cert },
      { path: '/api/v1/inference', token, body: chat },
    );
    expect([answer.status, reason(answer)]).toEqual([401, 'client_certificate_untrusted']);
  });

  it('refuses an expired certificate', async () => {
    const cert = issue(dp.ca, {
      commonName: 'chat',
      uris: [CHAT_CLIENT],
      notBefore: new Date(Date.now() - 2 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const answer = await call(
      dp.port,
      { trust: dp.ca.cert, cert },
      { path: '/api/v1/inference', token, body: chat },
    );
    expect([answer.status, reason(answer)]).toEqual([401, 'client_certificate_expired']);
  });

  it('refuses a certificate made for serving only', async () => {
    const cert = issue(dp.ca, { commonName: 'chat', uris: [CHAT_CLIENT], usages: ['serverAuth'] });
    const answer = await call(
      dp.port,
      { trust: dp.ca.cert, cert },
      { path: '/api/v1/inference', token, body: chat },
    );
    expect([answer.status, reason(answer)]).toEqual([401, 'client_certificate_untrusted']);
  });

  it('refuses a valid certificate whose identity a route does not allow', async () => {
    const other = client(['spiffe://cluster.local/ns/other/sa/chat']);
    const answer = await call(dp.port, other, { path: '/api/v1/inference', token, body: chat });
    expect([answer.status, code(answer), reason(answer)]).toEqual([
      403,
      'FORBIDDEN',
      'client_identity_not_allowed',
    ]);
  });

  it('takes the identity from the DNS SAN, then the CN, when there is no SPIFFE ID', async () => {
    const trust = dp.ca.cert;
    const status = async (cert: Issued) =>
      (await call(dp.port, { trust, cert }, { path: '/api/v1/inference', token, body: chat }))
        .status;
    expect(await status(issue(dp.ca, { commonName: 'x', dns: ['batch-worker'] }))).toBe(200);
    expect(await status(issue(dp.ca, { commonName: 'batch-worker', dns: ['x.svc'] }))).toBe(403);
    expect(await status(issue(dp.ca, { commonName: 'batch-worker' }))).toBe(200);
  });

  it.each([
    ['no token', undefined, 'missing_token'],
    ['a malformed token', 'not-a-jwt', 'malformed_token'],
  ])('refuses %s over TLS as before', async (_, bad, why) => {
    const answer = await call(dp.port, client(), {
      path: '/api/v1/inference',
      ...(bad === undefined ? {} : { token: bad }),
      body: chat,
    });
    expect([answer.status, reason(answer)]).toEqual([401, why]);
  });

  it('refuses an expired token and one signed by an unknown key over TLS', async () => {
    const expired = await dp.config.token({ ttlS: -120 });
    const answer = await call(dp.port, client(), {
      path: '/api/v1/inference',
      token: expired,
      body: chat,
    });
    expect([answer.status, reason(answer)]).toEqual([401, 'expired']);
    const [header = '', payload = ''] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('x'.repeat(64)).toString('base64url')}`;
    const bad = await call(dp.port, client(), {
      path: '/api/v1/inference',
      token: forged,
      body: chat,
    });
    expect([bad.status, reason(bad)]).toEqual([401, 'bad_signature']);
  });

  it('answers health probes without a certificate and shows the certificates on /readyz', async () => {
    const answer = await call(dp.port, { trust: dp.ca.cert }, { path: '/readyz' });
    expect(answer.status).toBe(200);
    expect(answer.body['tls']).toMatchObject({
      listener: 'https',
      error: null,
    });
  });

  it('refuses TLS 1.1 and older', async () => {
    const { connect } = await import('node:tls');
    const failure = await new Promise<string>((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port: dp.port,
        ca: dp.ca.cert,
        servername: 'gateway.inference.svc',
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
      });
      socket.on('secureConnect', () => {
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        resolve(error.code ?? error.message);
      });
    });
    expect(failure).not.toBe('connected');
  });
});

describe('a dataplane with optional client certificates', () => {
  let dp: TlsDataplane;
  let token: string;
  beforeAll(async () => {
    dp = await startTlsDataplane({ clientCertificates: 'optional' });
    token = await dp.config.token();
  });
  afterAll(() => dp.close());

  it('serves a client without a certificate on its token alone', async () => {
    const answer = await call(
      dp.port,
      { trust: dp.ca.cert },
      { path: '/api/v1/inference', token, body: chat },
    );
    expect(answer.status).toBe(200);
  });

  it('still refuses a certificate that does not verify', async () => {
    const cert = issue(createCa('someone-else'), { commonName: 'svc' });
    const answer = await call(
      dp.port,
      { trust: dp.ca.cert, cert },
      { path: '/api/v1/inference', token, body: chat },
    );
    expect([answer.status, reason(answer)]).toEqual([401, 'client_certificate_untrusted']);
  });
});
