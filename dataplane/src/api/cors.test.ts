import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConfigDir, type ConfigDir } from '../../../tests/support/config-dir.ts';
import { buildApp } from '../app.ts';
import { corsOrigins } from './cors.ts';

const APP = 'https://app.example.com';

let config: ConfigDir;
let app: FastifyInstance;

beforeAll(async () => {
  config = await makeConfigDir({ gateway: { defaultModel: 'chat' } });
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    env: { CORS_ALLOWED_ORIGINS: `${APP}, http://localhost:5173` },
  });
});

afterAll(async () => {
  await app.close();
  await config.cleanup();
});

const preflight = (origin: string) =>
  app.inject({
    method: 'OPTIONS',
    url: '/api/v1/inference',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, x-request-id',
    },
  });

describe('CORS for browser pages', () => {
  it('answers the preflight of an allowed origin without a token: its methods, headers and no credentials', async () => {
    const response = await preflight(APP);
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(APP);
    expect(response.headers['access-control-allow-methods']).toBe('GET, POST, DELETE');
    expect(response.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, x-request-id, last-event-id, x-session-id, cache-control',
    );
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives a preflight from any other origin no CORS header, so the browser refuses the call', async () => {
    const response = await preflight('https://evil.example.net');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("lets an allowed page read the answer's request id, and still asks for its token", async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/inference',
      headers: { origin: APP, 'content-type': 'application/json', 'x-request-id': 'cors-1' },
      payload: { messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(response.statusCode).toBe(401);
    expect(response.headers['access-control-allow-origin']).toBe(APP);
    expect(String(response.headers['access-control-expose-headers'])).toContain('x-request-id');
  });
});

describe('CORS_ALLOWED_ORIGINS', () => {
  it('is empty when unset: no page of another origin may call', () => {
    expect(corsOrigins({}).size).toBe(0);
  });

  it('refuses an entry that is not an origin, by name', () => {
    expect(() => corsOrigins({ CORS_ALLOWED_ORIGINS: 'https://app.example.com/path' })).toThrow(
      /CORS_ALLOWED_ORIGINS entries must be origins like https:\/\/app.example.com, not "https:\/\/app.example.com\/path"/,
    );
    expect(() => corsOrigins({ CORS_ALLOWED_ORIGINS: '*' })).toThrow(/CORS_ALLOWED_ORIGINS/);
  });
});
