/**
 * A sandbox tenant (gateway.yaml sandbox.tenants, docs/sandbox.md) never reaches a real MCP
 * server: the gateway refuses its every request with a clear 403, before anything connects
 * upstream, while a real tenant of the same gateway is served.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

let app: FastifyInstance;
let base: string;
let config: ConfigDir;
let upstream: Upstream;

beforeAll(async () => {
  upstream = await startUpstream('alpha');
  config = await makeConfigDir({ gateway: { sandbox: { tenants: ['acme-staging'] } } });
  await config.write('mcp.yaml', {
    enabled: true,
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          servers: [{ name: 'alpha', url: upstream.url, allowedTools: ['echo'] }],
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

async function initialize(tenant: string) {
  const token = await config.token({ scopes: ['mcp:invoke'], tenant });
  return fetch(`${base}/mcp/tools`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
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

describe('a sandbox tenant at the MCP gateway', () => {
  it('is refused with a 403 that says why, and no request reaches the upstream', async () => {
    const before = upstream.authorizations.length;
    const response = await initialize('acme-staging');
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FORBIDDEN');
    expect(body.error.message).toContain('sandbox tenant');
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(upstream.authorizations.length).toBe(before);
  });

  it('leaves a real tenant of the same gateway served', async () => {
    expect((await initialize('acme')).status).toBe(200);
  });
});
