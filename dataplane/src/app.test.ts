import { describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';

const appWithoutConfig = () =>
  buildApp({ configDirs: ['/nonexistent/config'], watch: false, defaultMetrics: false });

describe('the health endpoints', () => {
  it('answer liveness with ok whatever the readiness', async () => {
    const app = await appWithoutConfig();
    const response = await app.inject({ method: 'GET', url: '/livez' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
    await app.close();
  });

  it('answer readiness with 503 and the reason until a config is loaded', async () => {
    const app = await appWithoutConfig();
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({
      status: 'not_ready',
      config_checksum: null,
      prompts_loaded: 0,
    });
    expect(response.json().config_error).toMatch(/gateway\.yaml: the file is missing/);
    await app.close();
  });

  it('answer 503 NOT_READY to inference before a config is loaded', async () => {
    const app = await appWithoutConfig();
    const response = await app.inject({ method: 'POST', url: '/v1/chat/completions', payload: {} });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'NOT_READY', retryable: true } });
    expect(response.headers['retry-after']).toBe('1');
    await app.close();
  });

  it('echo the caller request id, or make one', async () => {
    const app = await appWithoutConfig();
    const echoed = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-1' } });
    const made = await app.inject({ url: '/healthz' });
    expect(echoed.headers['x-request-id']).toBe('abc-1');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await app.close();
  });

  it('answer an unknown path with the closed vocabulary', async () => {
    const app = await appWithoutConfig();
    const response = await app.inject({ url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND', retryable: false } });
    await app.close();
  });
});
