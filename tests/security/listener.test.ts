import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { eventually } from '../support/eventually.ts';
import { createCa, issue } from '../support/x509.ts';
import { chat } from './support.ts';

// The listener's protocol is fixed at start: a contract that turns TLS on under a plain HTTP
// listener is served for nothing that needs a token, and /readyz says to restart.
describe('a plain HTTP dataplane whose contract turns TLS on', () => {
  let config: ConfigDir;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    config = await makeConfigDir({ prompts: false });
    app = await buildApp({ configDirs: [config.dir], defaultMetrics: false });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await config.cleanup();
  });

  it('refuses scoped routes with NOT_READY and reports the mismatch on /readyz', async () => {
    const token = await config.token();
    const invoke = () =>
      fetch(`${base}/api/v1/inference`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'x-request-id': 'listener-1',
          'content-type': 'application/json',
        },
        body: JSON.stringify(chat),
      });
    expect((await invoke()).status).toBe(200);

    const ca = createCa('ca');
    const serving = issue(ca, { commonName: 'gw', dns: ['gw.svc'] });
    await config.write('tls/tls.crt', serving.cert);
    await config.write('tls/tls.key', serving.key);
    await config.write('gateway.yaml', {
      auth: { issuer: 'https://issuer.test', audience: 'inference-service' },
      defaultModel: 'chat',
      tls: { enabled: true },
    });
    const readyz = await eventually(async () => {
      const response = await fetch(`${base}/readyz`);
      return response.status === 503
        ? ((await response.json()) as Record<string, unknown>)
        : undefined;
    });
    expect(readyz['tls']).toMatchObject({
      listener: 'http',
      error: expect.stringMatching(/restart/),
    });
    const refused = await invoke();
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('NOT_READY');
  });
});
