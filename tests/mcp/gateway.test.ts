import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../dataplane/src/app.ts';
import { receiptsOf, exportText } from '../audit/support.ts';
import { makeConfigDir, type ConfigDir } from '../support/config-dir.ts';
import { startUpstream, type Upstream } from './upstream-server.ts';

const UPSTREAM_SECRET = 'upstream-secret-7f3a';

let app: FastifyInstance;
let base: string;
let config: ConfigDir;
let alpha: Upstream;
let beta: Upstream;
let silent: HttpServer;

let closedUrl: string;

function mcpFile(enabled: boolean, silentUrl: string) {
  return {
    enabled,
    gateways: [
      {
        name: 'tools',
        spec: {
          enabled: true,
          servers: [
            {
              name: 'alpha',
              url: alpha.url,
              credentials: { secretKeyRef: { name: 'mcp-upstreams', key: 'alpha' } },
              allowedTools: ['echo', 'add'],
            },
            { name: 'beta', url: beta.url, allowedTools: ['echo'], requiredScopes: ['tools:beta'] },
          ],
        },
      },
      {
        name: 'off',
        spec: {
          enabled: false,
          servers: [{ name: 'alpha', url: alpha.url, allowedTools: ['echo'] }],
        },
      },
      {
        name: 'broken',
        spec: {
          enabled: true,
          servers: [
            { name: 'gone', url: closedUrl, allowedTools: ['echo'] },
            { name: 'mute', url: silentUrl, allowedTools: ['echo'] },
          ],
        },
      },
    ],
  };
}

beforeAll(async () => {
  alpha = await startUpstream('alpha');
  beta = await startUpstream('beta');
  // Accepts connections and never answers.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/mcp`;
  // A port that was just free and is closed again: a connection to it is refused.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/mcp`;
  await new Promise((resolve) => closed.close(resolve));
  config = await makeConfigDir();
  await config.write('credentials/mcp-upstreams__alpha', UPSTREAM_SECRET);
  await config.write('mcp.yaml', mcpFile(true, silentUrl));
  app = await buildApp({ configDirs: [config.dir], watch: false, defaultMetrics: false });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
  silent.closeAllConnections();
  silent.close();
  await alpha.close();
  await beta.close();
  await config.cleanup();
});

async function connect(gateway: string, scopes: string[] = ['mcp:invoke']): Promise<Client> {
  const token = await config.token({ scopes });
  const client = new Client({ name: 'test-caller', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${base}/mcp/${gateway}`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function toolReceipts(): Promise<Record<string, unknown>[]> {
  return receiptsOf(await exportText(app, config, 'acme')).filter((r) => r['kind'] === 'tool');
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'fetch', version: '1' },
  },
};

async function post(gateway: string, scopes: string[]) {
  return fetch(`${base}/mcp/${gateway}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await config.token({ scopes })}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify(initialize),
  });
}

describe('the MCP gateway', () => {
  it('initializes as the gateway, with tools', async () => {
    const client = await connect('tools');
    expect(client.getServerVersion()?.name).toBe('inference-service-mcp-gateway/tools');
    expect(client.getServerCapabilities()?.tools).toBeDefined();
    await client.close();
  });

  it('lists the allowed tools of the servers the token may use, prefixed by server', async () => {
    const plain = await connect('tools');
    expect((await plain.listTools()).tools.map((t) => t.name).sort()).toEqual([
      'alpha__add',
      'alpha__echo',
    ]);
    const wide = await connect('tools', ['mcp:invoke', 'tools:beta']);
    const tools = (await wide.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(['alpha__add', 'alpha__echo', 'beta__echo']);
    expect(tools.find((t) => t.name === 'alpha__add')?.inputSchema.required).toEqual(['a', 'b']);
    await plain.close();
    await wide.close();
  });

  it('forwards a call to its server with the gateway credential, never the caller token', async () => {
    const client = await connect('tools', ['mcp:invoke', 'tools:beta']);
    const sum = await client.callTool({ name: 'alpha__add', arguments: { a: 2, b: 3 } });
    expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
    const echo = await client.callTool({ name: 'beta__echo', arguments: { text: 'hi there' } });
    expect(echo.content).toEqual([{ type: 'text', text: 'beta: hi there' }]);
    expect(alpha.authorizations.length).toBeGreaterThan(0);
    expect(new Set(alpha.authorizations)).toEqual(new Set([`Bearer ${UPSTREAM_SECRET}`]));
    expect(new Set(beta.authorizations)).toEqual(new Set([undefined]));
    await client.close();
  });

  it('leaves one receipt per call with names and counts, no arguments or results', async () => {
    const client = await connect('tools');
    await client.callTool({ name: 'alpha__echo', arguments: { text: 'confidential-words' } });
    const receipts = await toolReceipts();
    const mcp = (r: Record<string, unknown>) => r['mcp'] as { server: string; tool: string };
    const receipt = receipts.find((r) => mcp(r).server === 'alpha' && mcp(r).tool === 'echo');
    // The two calls of the test before, and this one: one receipt each.
    expect(receipts.filter((r) => r['outcome'] === 'served')).toHaveLength(3);
    expect(receipt).toMatchObject({
      kind: 'tool',
      tenant: 'acme',
      principal: 'tester',
      outcome: 'served',
      mcp: { gateway: 'tools', server: 'alpha', tool: 'echo', arguments: 1, content_items: 1 },
    });
    expect(JSON.stringify(receipts)).not.toContain('confidential-words');
    await client.close();
  });

  it('refuses a tool outside the allowlist without calling the server', async () => {
    const client = await connect('tools');
    const before = alpha.authorizations.length;
    const error = await client
      .callTool({ name: 'alpha__shutdown', arguments: {} })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
    expect(alpha.authorizations.length).toBe(before);
    const receipt = (await toolReceipts()).find(
      (r) => (r['mcp'] as { tool: string }).tool === 'shutdown',
    );
    expect(receipt).toMatchObject({ outcome: 'refused', error: { code: 'FORBIDDEN' } });
    await client.close();
  });

  it('refuses a token without mcp:invoke with a 403', async () => {
    const response = await post('tools', ['inference:invoke']);
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('answers an unreachable server with a clear error at once, not after its timeout', async () => {
    const client = await connect('broken');
    const started = performance.now();
    const error = await client
      .callTool({ name: 'gone__echo', arguments: { text: 'x' } })
      .catch((e: unknown) => e);
    // Its 300 ms timeout is not what ended it: the refusal names ECONNREFUSED (the bound is
    // loose for a loaded CI machine).
    expect(performance.now() - started).toBeLessThan(1000);
    expect((error as McpError).message).toContain(
      'Upstream MCP server gone is unavailable: ECONNREFUSED.',
    );
    const receipt = (await toolReceipts()).find(
      (r) => (r['mcp'] as { server: string }).server === 'gone',
    );
    expect(receipt).toMatchObject({ outcome: 'failed', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    await client.close();
  });

  it('gives up on a server that never answers after its timeout, never hanging', async () => {
    const client = await connect('broken');
    const started = performance.now();
    const error = await client
      .callTool({ name: 'mute__echo', arguments: { text: 'x' } })
      .catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1500);
    expect((error as McpError).message).toContain(
      'Upstream MCP server mute is unavailable: no answer within 300 ms.',
    );
    await expect(client.listTools()).rejects.toThrow(/Upstream MCP server (gone|mute)/);
    await client.close();
  });
});

describe('with the flag off', () => {
  it('has no endpoint for a disabled gateway or an unknown one, and calls no server', async () => {
    const before = alpha.authorizations.length;
    expect((await post('off', ['mcp:invoke'])).status).toBe(404);
    expect((await post('nowhere', ['mcp:invoke'])).status).toBe(404);
    expect(alpha.authorizations.length).toBe(before);
  });

  it('has no endpoint at all while mcp.yaml is switched off', async () => {
    const off = await makeConfigDir();
    await off.write('mcp.yaml', mcpFile(false, closedUrl));
    const offApp = await buildApp({ configDirs: [off.dir], watch: false, defaultMetrics: false });
    const before = alpha.authorizations.length;
    const response = await offApp.inject({
      method: 'POST',
      url: '/mcp/tools',
      headers: {
        authorization: `Bearer ${await off.token({ scopes: ['mcp:invoke'] })}`,
        accept: 'application/json, text/event-stream',
      },
      payload: initialize,
    });
    expect(response.statusCode).toBe(404);
    expect(alpha.authorizations.length).toBe(before);
    await offApp.close();
    await off.cleanup();
  });
});
