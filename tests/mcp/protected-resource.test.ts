/**
 * The MCP endpoint as an OAuth protected resource (MCP authorization, revision 2025-11-25):
 * its RFC 9728 metadata names the configured issuer, a 401 points at it, a 403 for a missing
 * scope names the scope; and its DNS-rebinding guard: a request from a browser Origin that is
 * neither the gateway's own nor allowed is refused before anything is served.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { ISSUER, makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

let app: FastifyInstance;
let base: string;
let config: ConfigDir;
let upstream: Upstream;

beforeAll(async () => {
  [upstream, config] = await Promise.all([startUpstream('alpha'), makeConfigDir()]);
  await config.write('mcp.yaml', {
    enabled: true,
    allowedOrigins: ['https://app.example.test'],
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          servers: [
            { name: 'alpha', url: upstream.url, allowedTools: ['echo'], requiredScopes: ['t:a'] },
          ],
        },
      },
    ],
  });
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  await Promise.all([upstream.close(), config.cleanup()]);
});

/** An initialize POST with the headers given. */
async function initialize(headers: Record<string, string>) {
  return fetch(`${base}/mcp/tools`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      },
    }),
  });
}

const bearer = async (scopes: string[]) => ({
  authorization: `Bearer ${await config.token({ scopes })}`,
});

describe('the protected resource metadata', () => {
  it('names the endpoint, the configured issuer and the scopes', async () => {
    const response = await fetch(`${base}/.well-known/oauth-protected-resource/mcp/tools`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      resource: `${base}/mcp/tools`,
      authorization_servers: [ISSUER],
      scopes_supported: ['mcp:invoke', 't:a'],
      bearer_methods_supported: ['header'],
      resource_name: 'MCP gateway tools',
    });
  });

  it('is a 404 for a gateway that is not enabled', async () => {
    const response = await fetch(`${base}/.well-known/oauth-protected-resource/mcp/nope`);
    expect(response.status).toBe(404);
  });

  it('is where a 401 points, with the scope to ask for', async () => {
    const response = await initialize({});
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toBe(
      `Bearer realm="inference-service", scope="mcp:invoke", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp/tools"`,
    );
    const url = /resource_metadata="([^"]+)"/.exec(challenge ?? '')?.[1] ?? '';
    expect((await fetch(url)).status).toBe(200);
  });

  it('names the missing scope on a 403', async () => {
    const response = await initialize(await bearer(['other']));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="inference-service", error="insufficient_scope", scope="mcp:invoke", resource_metadata="http/,
    );
  });
});

describe('the Origin guard', () => {
  it('refuses an Origin that is neither the gateway nor allowed, with no scope challenge', async () => {
    const response = await initialize({
      ...(await bearer(['mcp:invoke'])),
      origin: 'https://evil.example.test',
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(JSON.stringify(await response.json())).toContain('allowedOrigins');
  });

  it.each([
    ['no Origin (a non-browser client)', {}],
    ["the gateway's own Origin", { origin: '' }],
    ['an allowed Origin', { origin: 'https://app.example.test' }],
  ])('serves %s', async (_title, extra: { origin?: string }) => {
    const origin = extra.origin === '' ? { origin: base } : extra;
    const response = await initialize({ ...(await bearer(['mcp:invoke'])), ...origin });
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).not.toBeNull();
  });
});
