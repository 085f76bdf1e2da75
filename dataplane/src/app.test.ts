import { describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';

describe('the health endpoints', () => {
  it('answer liveness with ok whatever the readiness', async () => {
    const app = await buildApp({ readiness: () => ({ ready: false, details: {} }) });
    const response = await app.inject({ method: 'GET', url: '/livez' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answer readiness with 503 until the config is loaded', async () => {
    const app = await buildApp({
      readiness: () => ({ ready: false, details: { reason: 'no config' } }),
    });
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not_ready', reason: 'no config' });
  });

  it('echo the caller request id, or make one', async () => {
    const app = await buildApp({ readiness: () => ({ ready: true, details: {} }) });
    const echoed = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-1' } });
    const made = await app.inject({ url: '/healthz' });
    expect(echoed.headers['x-request-id']).toBe('abc-1');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answer an unknown path with the closed vocabulary', async () => {
    const app = await buildApp({ readiness: () => ({ ready: true, details: {} }) });
    const response = await app.inject({ url: '/nope' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'NOT_FOUND', retryable: false } });
  });
});
