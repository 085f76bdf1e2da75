// CORS in a real browser: a page served from an origin in CORS_ALLOWED_ORIGINS calls the
// gateway on another origin with its bearer token and reads the answer and its request id; the
// same page served from an origin not in the list is refused by the browser itself.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { launch } from './browser.ts';

/** A blank page on its own loopback port: an origin of its own. */
async function pageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_request, response) => {
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>app</title>');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let allowed: { origin: string; server: Server };
let other: { origin: string; server: Server };
let config: ConfigDir;
let app: FastifyInstance;
let gateway = '';
let token = '';
let browser: Browser;

beforeAll(async () => {
  [allowed, other] = await Promise.all([pageServer(), pageServer()]);
  config = await makeConfigDir({
    routes: {
      routes: [{ alias: 'chat', targets: [{ name: 'echo', provider: 'mock', model: 'echo' }] }],
    },
    gateway: { defaultModel: 'chat' },
  });
  app = await buildApp({
    configDirs: [config.dir],
    watch: false,
    defaultMetrics: false,
    env: { CORS_ALLOWED_ORIGINS: allowed.origin },
  });
  gateway = await app.listen({ host: '127.0.0.1', port: 0 });
  token = await config.token();
  browser = await launch();
});

afterAll(async () => {
  await browser.close();
  await app.close();
  await config.cleanup();
  allowed.server.close();
  other.server.close();
});

/** What a page on `origin` gets when it asks the gateway for an answer. */
async function askFrom(origin: string) {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(
      async ({ gateway, token }) => {
        try {
          const response = await fetch(`${gateway}/api/v1/inference`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'x-request-id': 'page-call-1',
            },
            body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }] }),
          });
          const body = (await response.json()) as { output?: { content?: string } };
          return {
            status: response.status,
            requestId: response.headers.get('x-request-id'),
            text: body.output?.content ?? '',
          };
        } catch (error) {
          return { refused: String(error) };
        }
      },
      { gateway, token },
    );
  } finally {
    await page.close();
  }
}

describe('the HTTP API from a browser page on another origin', () => {
  it('answers a page on an allowed origin, which reads the answer and its request id', async () => {
    const answer = await askFrom(allowed.origin);
    expect(answer).toMatchObject({ status: 200, requestId: 'page-call-1' });
    expect((answer as { text: string }).text.length).toBeGreaterThan(0);
  });

  it('is refused by the browser to a page on an origin not in CORS_ALLOWED_ORIGINS', async () => {
    expect(await askFrom(other.origin)).toEqual({ refused: 'TypeError: Failed to fetch' });
  });
});
